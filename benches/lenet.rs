//! Speed of the pieces that matter: one training step (batch 64), inference
//! (batch 1 and 1000), building a batch from the dataset (on the host or gathered
//! on the device), an epoch with either, and preprocessing a 700×730 photo. Every
//! CPU backend compiled in.
//!
//! cargo bench --features ndarray --bench lenet
//! (RAYON_NUM_THREADS=2 to match the 2-core figures in docs/)

use burn::tensor::{Device, Tensor, TensorData};
use divan::Bencher;
use image::{DynamicImage, GrayImage, Luma};
use lenet::data::{DeviceSplit, Mnist, MnistBatcher, MnistSplit, Normalization, Split};
use lenet::train::{Recipe, Silent, Stepper};
use lenet::{Architecture, DeviceChoice, LeNetConfig};

fn main() {
    // As `lenet::train` does: keep freed tensors' memory between steps
    // (LENET_MALLOC_TUNING=0 measures glibc's defaults instead).
    lenet::train::tune_allocator();
    divan::main();
}

/// A CPU backend, as a type so divan names the benchmark after it.
trait Backend {
    const CHOICE: DeviceChoice;
    /// Whether Flex's conv stages run fused (this crate's kernels) or as Burn's layers.
    const FUSED: bool = true;

    /// The device, or `None` (with a note) when this build lacks the backend.
    fn device() -> Option<Device> {
        match Self::CHOICE.device() {
            Ok(device) => Some(device),
            Err(e) => {
                eprintln!("skipped: {e} (build with --features ndarray)");
                None
            }
        }
    }
}

struct Flex;
/// Flex with Burn's own convolution, ReLU and pooling layers: the "before" of the
/// fused kernels, measured in the same run.
struct FlexLayers;
struct NdArray;

impl Backend for Flex {
    const CHOICE: DeviceChoice = DeviceChoice::Flex;
}

impl Backend for FlexLayers {
    const CHOICE: DeviceChoice = DeviceChoice::Flex;
    const FUSED: bool = false;
}

impl Backend for NdArray {
    const CHOICE: DeviceChoice = DeviceChoice::NdArray;
}

/// A split of `n` pseudo-random images (the values do not change the cost).
fn split(n: usize) -> MnistSplit {
    let images = (0..n * 784)
        .map(|i| ((i * 2_654_435_761) >> 24) as u8)
        .collect();
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    MnistSplit::from_raw(Split::Train, images, labels).unwrap()
}

fn images(n: usize, device: &Device) -> Tensor<4> {
    let values: Vec<f32> = (0..n * 784).map(|i| (i % 255) as f32 / 255.0).collect();
    Tensor::from_data(TensorData::new(values, [n, 1, 28, 28]), device)
}

#[divan::bench(types = [Flex, FlexLayers, NdArray], args = ["lenet5", "extra-conv", "conv8k3p1-relu-pool-conv16k3-relu-pool-fc10"], sample_count = 30)]
fn train_step_batch_64<B: Backend>(bencher: Bencher, arch: &str) {
    let arch: Architecture = arch.parse().expect("a valid spec");
    let Some(device) = B::device() else { return };
    let device = device.autodiff();
    let data = split(640);
    let batcher = MnistBatcher::new(Normalization::None);
    let model = LeNetConfig::new(arch).init_seeded(&device, 0);
    let mut stepper = Stepper::adam(model.with_fused_kernels(B::FUSED), 1e-8);
    let indices: Vec<usize> = (0..64).collect();
    bencher.bench_local(|| {
        let batch = batcher.batch_from_split(&data, &indices, &device);
        let outcome = stepper.step(batch, 1e-3);
        divan::black_box(outcome.loss);
    });
}

#[divan::bench(types = [Flex, FlexLayers, NdArray], args = [1, 1000], sample_count = 30)]
fn inference_lenet5<B: Backend>(bencher: Bencher, batch: usize) {
    let Some(device) = B::device() else { return };
    let model = LeNetConfig::new(Architecture::LENET5)
        .init_seeded(&device, 0)
        .with_fused_kernels(B::FUSED);
    let input = images(batch, &device);
    bencher.bench_local(|| {
        let logits = model.forward(input.clone());
        divan::black_box(logits.into_data());
    });
}

#[divan::bench(sample_count = 100)]
fn batch_of_64_from_the_dataset(bencher: Bencher) {
    let device = lenet::device("flex").unwrap();
    let data = split(60_000);
    let batcher = MnistBatcher::new(Normalization::MNIST);
    let indices: Vec<usize> = (0..64).map(|i| i * 937).collect();
    bencher.bench_local(|| divan::black_box(batcher.batch_from_split(&data, &indices, &device)));
}

/// A batch of 64 gathered from a split already on the device (what the training
/// loop does on a GPU), against `batch_of_64_from_the_dataset` (what it does on
/// the CPU).
#[divan::bench(sample_count = 100)]
fn batch_of_64_gathered_on_the_device(bencher: Bencher) {
    let device = lenet::device("flex").unwrap();
    let data = DeviceSplit::upload(&split(60_000), 60_000, Normalization::MNIST, &device);
    let indices: Vec<usize> = (0..64).map(|i| i * 937).collect();
    let order = data.order(&indices);
    bencher.bench_local(|| divan::black_box(data.gather(order.clone())));
}

/// One epoch of 3,200 images through `lenet::train` on Flex, batches built on the
/// host (`false`, the default on CPU backends) or gathered from splits uploaded
/// once (`true`, the default on GPUs): decides the CPU backends' default.
#[divan::bench(args = [false, true], sample_count = 10)]
fn train_epoch_of_3200_data_on_device(bencher: Bencher, on_device: bool) {
    let device = lenet::device("flex").unwrap();
    let mnist = Mnist {
        train: split(3200),
        test: split(1000),
    };
    let config = Recipe::Tutorial.config(Architecture::LENET5).with_epochs(1);
    let options = lenet::RunOptions::new().with_data_on_device(Some(on_device));
    bencher.bench_local(|| {
        divan::black_box(lenet::train(
            &config,
            &options,
            &mnist,
            &device,
            &mut Silent,
        ))
    });
}

/// The whole preparation of a photo, with and without its clearing of ruled
/// lines, desk and marks away from the digit (`Preprocess::clear_surroundings`),
/// which costs most.
#[divan::bench(sample_count = 30, args = [true, false])]
fn preprocess_a_700x730_photo(bencher: Bencher, clear_surroundings: bool) {
    // Dark strokes on unevenly lit paper, the size of the tutorial's photo.
    let photo = GrayImage::from_fn(700, 730, |x, y| {
        let paper = 230.0 - 40.0 * x as f32 / 700.0;
        let stroke = (x as i32 - 350).abs() < 30 && (150..600).contains(&y)
            || (y as i32 - 200).abs() < 25 && (200..500).contains(&x);
        Luma([if stroke { 40 } else { paper as u8 }])
    });
    let photo = DynamicImage::ImageLuma8(photo);
    let options = lenet::predict::Preprocess {
        clear_surroundings,
        ..lenet::predict::Preprocess::default()
    };
    bencher
        .bench_local(|| divan::black_box(lenet::predict::prepare_image(&photo, &options).unwrap()));
}

/// How a training epoch gets its 938 batches: this crate's indexing of the
/// contiguous split, or Burn's `DataLoader` (item copies + batcher), with and
/// without worker threads. Decides whether the training loop should use Burn's.
#[divan::bench_group(sample_count = 10)]
mod one_epoch_of_batches {
    use burn::data::dataloader::DataLoaderBuilder;

    use super::*;

    #[divan::bench]
    fn lenet_indexing(bencher: Bencher) {
        let device = lenet::device("flex").unwrap();
        let data = split(60_000);
        let batcher = MnistBatcher::new(Normalization::None);
        let order: Vec<usize> = (0..60_000).map(|i| (i * 7_919) % 60_000).collect();
        bencher.bench_local(|| {
            for indices in order.chunks(64) {
                divan::black_box(batcher.batch_from_split(&data, indices, &device));
            }
        });
    }

    #[divan::bench(args = [0, 2])]
    fn burn_dataloader(bencher: Bencher, workers: usize) {
        let device = lenet::device("flex").unwrap();
        let loader = DataLoaderBuilder::new(MnistBatcher::new(Normalization::None))
            .batch_size(64)
            .shuffle(0)
            .num_workers(workers)
            .set_device(device)
            .build(split(60_000));
        bencher.bench_local(|| {
            for batch in loader.iter() {
                divan::black_box(batch.unwrap());
            }
        });
    }
}
