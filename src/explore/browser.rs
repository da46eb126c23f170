//! The MNIST test images, to browse in the page: those some model gets wrong
//! first, each with every model's prediction.

use serde::Serialize;

use super::Served;
use super::api::ApiError;
use crate::data::MnistSplit;
use crate::predict::PreparedDigit;

/// The test split and, per image, every model's predicted class.
#[derive(Debug)]
pub(super) struct Browser {
    split: MnistSplit,
    /// `predictions[model][image]`.
    predictions: Vec<Vec<u8>>,
    /// Image indices: those some model gets wrong (in index order), then the rest.
    order: Vec<usize>,
    wrong: usize,
}

/// One test image in `GET /api/mnist`.
#[derive(Debug, Clone, Serialize)]
pub struct TestImage {
    /// Index in the test split.
    pub index: usize,
    /// The true digit.
    pub label: u8,
    /// Each model's prediction, in the app's order.
    pub predictions: Vec<u8>,
    /// 784 pixel values 0–255, row-major.
    pub pixels: Vec<u8>,
}

/// What `GET /api/mnist?offset=&limit=` returns.
#[derive(Debug, Clone, Serialize)]
pub struct MnistPage {
    /// Test images in all.
    pub total: usize,
    /// How many of them at least one model gets wrong (they come first).
    pub wrong: usize,
    /// Position of the first item in the order.
    pub offset: usize,
    /// The page.
    pub items: Vec<TestImage>,
}

/// Most items one page holds.
pub(super) const MAX_PAGE: usize = 500;

impl Browser {
    pub(super) fn new(split: MnistSplit, models: &[std::sync::Arc<Served>]) -> Self {
        let predictions: Vec<Vec<u8>> = models
            .iter()
            .map(|served| {
                let saved = &served.named.saved;
                let batch = saved
                    .model
                    .architecture()
                    .batch_within(crate::explain::DEFAULT_MEMORY)
                    .min(MAX_PAGE);
                crate::evaluate(&saved.model, &split, saved.normalization, batch).predictions
            })
            .collect();
        let is_wrong = |i: usize| predictions.iter().any(|p| p[i] != split.label(i));
        let (mut order, right): (Vec<usize>, Vec<usize>) =
            (0..split.len()).partition(|&i| is_wrong(i));
        let wrong = order.len();
        order.extend(right);
        Self {
            split,
            predictions,
            order,
            wrong,
        }
    }

    /// The test images.
    pub(super) fn split(&self) -> &MnistSplit {
        &self.split
    }

    pub(super) fn len(&self) -> usize {
        self.split.len()
    }

    pub(super) fn page(&self, offset: usize, limit: usize) -> Result<MnistPage, ApiError> {
        self.page_with(offset, limit, &[])
    }

    /// [`page`](Self::page) with more columns' predictions (the lab's runs)
    /// after the app's: the images any of them gets wrong come first.
    pub(super) fn page_with(
        &self,
        offset: usize,
        limit: usize,
        more: &[Vec<u8>],
    ) -> Result<MnistPage, ApiError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(ApiError::bad_request(format!(
                "limit must be 1 to {MAX_PAGE}, not {limit}"
            )));
        }
        if more.iter().any(|p| p.len() != self.split.len()) {
            return Err(ApiError::new(
                409,
                "a run's predictions are not of these test images (another test set?)",
            ));
        }
        let all: Vec<&Vec<u8>> = self.predictions.iter().chain(more).collect();
        let reordered;
        let (order, wrong) = if more.is_empty() {
            (&self.order, self.wrong)
        } else {
            let is_wrong = |i: usize| all.iter().any(|p| p[i] != self.split.label(i));
            let (mut order, right): (Vec<usize>, Vec<usize>) =
                (0..self.split.len()).partition(|&i| is_wrong(i));
            let wrong = order.len();
            order.extend(right);
            reordered = order;
            (&reordered, wrong)
        };
        let items = order
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&index| TestImage {
                index,
                label: self.split.label(index),
                predictions: all.iter().map(|p| p[index]).collect(),
                pixels: self.split.image(index).to_vec(),
            })
            .collect();
        Ok(MnistPage {
            total: self.split.len(),
            wrong,
            offset,
            items,
        })
    }

    /// Test image `index` as a prepared digit: its pixels as they are (MNIST is
    /// what the preprocessing imitates).
    pub(super) fn digit(&self, index: usize) -> Result<PreparedDigit, ApiError> {
        if index >= self.split.len() {
            return Err(ApiError::not_found(format!(
                "no test image {index}: there are {}",
                self.split.len()
            )));
        }
        Ok(PreparedDigit::from_mnist(self.split.image(index)))
    }
}
