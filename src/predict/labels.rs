//! Which digit each of a user's pictures shows, from a `labels.csv`: what
//! `predict --labels` scores its readings against, so that "how many of my
//! photos does this model read?" is one command. `lookalikes --save` writes
//! one in the same form beside each set of pictures.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{Error, LabelsProblem, Result};

/// The largest labels file read: a short line per picture, for far more
/// pictures than anyone photographs (a larger file is refused unread).
pub const MAX_LABELS_BYTES: u64 = 16 << 20;

/// The pictures' labels, by file name, as a `labels.csv` gives them: a line
/// per picture, `name,label` (`00012.jpg,7`); blank lines, lines starting
/// with `#` and a first line whose label is not a number (a header such as
/// `file,label`) are skipped, as is a UTF-8 byte-order mark. A picture is matched by its file name alone,
/// wherever it lies.
///
/// ```
/// use lenet::predict::Labels;
///
/// let labels = Labels::parse("file,label\n3.png,3\nseven.jpg, 7\n", "labels.csv".as_ref())?;
/// assert_eq!(labels.of("photos/seven.jpg".as_ref()), Some(7));
/// assert_eq!(labels.of("other.png".as_ref()), None);
/// assert!(Labels::parse("3.png,three\n", "labels.csv".as_ref()).is_err());
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Labels {
    path: PathBuf,
    /// Each name's label and the line it is on.
    by_name: HashMap<String, (usize, usize)>,
}

/// How the readings of labelled pictures compare with their labels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelScore {
    /// Labelled pictures read or refused.
    pub labelled: usize,
    /// Of them, read as their label.
    pub right: usize,
    /// The others, in the order given: a picture, its label, and what it was
    /// read as (`None`: it could not be read — no ink, not a picture, a model
    /// whose outputs were not numbers).
    pub wrong: Vec<(PathBuf, usize, Option<usize>)>,
    /// Pictures given that the file does not label.
    pub unlabelled: Vec<PathBuf>,
    /// Names the file labels that no picture given has, sorted.
    pub not_given: Vec<String>,
}

impl LabelScore {
    /// The share of the labelled pictures read right (0 when none were).
    pub fn rate(&self) -> f64 {
        self.right as f64 / self.labelled.max(1) as f64
    }
}

impl Labels {
    /// Reads the labels file at `path` (at most [`MAX_LABELS_BYTES`]).
    pub fn read(path: &Path) -> Result<Self> {
        let text = crate::read_limit::read_text_at_most(path, MAX_LABELS_BYTES, "a labels file")?;
        Self::parse(&text, path)
    }

    /// The labels in `text`, read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let fail = |line: usize, problem: LabelsProblem| Error::Labels {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let mut by_name: HashMap<String, (usize, usize)> = HashMap::new();
        let mut seen_a_line = false;
        // A spreadsheet's UTF-8 begins with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let first = !std::mem::replace(&mut seen_a_line, true);
            let Some((name, label)) = raw.rsplit_once(',') else {
                return Err(fail(line, LabelsProblem::NotNameAndLabel));
            };
            let (name, label) = (name.trim(), label.trim());
            if name.is_empty() {
                return Err(fail(line, LabelsProblem::NotNameAndLabel));
            }
            let Ok(label) = label.parse::<usize>() else {
                if first {
                    continue; // a header
                }
                return Err(fail(line, LabelsProblem::NotALabel(label.to_string())));
            };
            if let Some(&(_, earlier)) = by_name.get(name) {
                let problem = LabelsProblem::Twice {
                    name: name.to_string(),
                    first: earlier,
                };
                return Err(fail(line, problem));
            }
            by_name.insert(name.to_string(), (label, line));
        }
        if by_name.is_empty() {
            return Err(fail(0, LabelsProblem::Empty));
        }
        Ok(Self {
            path: path.to_path_buf(),
            by_name,
        })
    }

    /// Checks that every label is one of a model's `classes` (0 to
    /// `classes − 1`).
    pub fn check_classes(&self, classes: usize) -> Result<()> {
        let past = self
            .by_name
            .values()
            .filter(|&&(label, _)| label >= classes)
            .min_by_key(|&&(_, line)| line);
        match past {
            Some(&(label, line)) => Err(Error::Labels {
                path: self.path.clone(),
                line,
                problem: LabelsProblem::PastTheClasses { label, classes },
            }),
            None => Ok(()),
        }
    }

    /// The label of the picture at `picture`, by its file name.
    pub fn of(&self, picture: &Path) -> Option<usize> {
        let name = picture.file_name()?.to_str()?;
        self.by_name.get(name).map(|&(label, _)| label)
    }

    /// Pictures labelled.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no picture is labelled (never, for a file [`parse`](Self::parse) took).
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Scores `readings`: each picture given and the class it was read as
    /// (`None` where it could not be read).
    ///
    /// ```
    /// use lenet::predict::Labels;
    ///
    /// let labels = Labels::parse("a.png,1\nb.png,7\nc.png,9\n", "labels.csv".as_ref())?;
    /// let score = labels.score([
    ///     ("a.png".as_ref(), Some(1)),
    ///     ("b.png".as_ref(), Some(1)),
    ///     ("d.png".as_ref(), Some(4)),
    /// ]);
    /// assert_eq!((score.labelled, score.right), (2, 1));
    /// assert_eq!(score.wrong, vec![("b.png".into(), 7, Some(1))]);
    /// assert_eq!(score.not_given, vec!["c.png".to_string()]);
    /// assert_eq!(score.unlabelled, vec![std::path::PathBuf::from("d.png")]);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn score<'a>(
        &self,
        readings: impl IntoIterator<Item = (&'a Path, Option<usize>)>,
    ) -> LabelScore {
        let mut score = LabelScore::default();
        let mut given = std::collections::HashSet::new();
        for (picture, read) in readings {
            let Some(label) = self.of(picture) else {
                score.unlabelled.push(picture.to_path_buf());
                continue;
            };
            given.extend(picture.file_name().and_then(|n| n.to_str()));
            score.labelled += 1;
            if read == Some(label) {
                score.right += 1;
            } else {
                score.wrong.push((picture.to_path_buf(), label, read));
            }
        }
        score.not_given = self
            .by_name
            .keys()
            .filter(|name| !given.contains(name.as_str()))
            .cloned()
            .collect();
        score.not_given.sort();
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> (usize, LabelsProblem) {
        match Labels::parse(text, "l.csv".as_ref()) {
            Err(Error::Labels { line, problem, .. }) => (line, problem),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_lines_are_refused_with_their_line() {
        assert_eq!(
            problem("a.png,1\nb.png\n"),
            (2, LabelsProblem::NotNameAndLabel)
        );
        assert_eq!(problem(",1\n"), (1, LabelsProblem::NotNameAndLabel));
        assert_eq!(
            problem("a.png,1\nb.png,-1\n"),
            (2, LabelsProblem::NotALabel("-1".into()))
        );
        let twice = LabelsProblem::Twice {
            name: "a.png".into(),
            first: 2,
        };
        assert_eq!(problem("# mine\na.png,1\na.png,2\n"), (3, twice));
        assert_eq!(problem("file,label\n\n"), (0, LabelsProblem::Empty));
        let labels = Labels::parse("a.png,3\nb.png,12\nc.png,10\n", "l.csv".as_ref()).unwrap();
        assert!(labels.check_classes(13).is_ok());
        match labels.check_classes(10) {
            Err(Error::Labels { line, problem, .. }) => {
                assert_eq!(line, 2);
                assert_eq!(
                    problem,
                    LabelsProblem::PastTheClasses {
                        label: 12,
                        classes: 10
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_name_with_commas_keeps_them_and_a_picture_is_matched_by_its_file_name() {
        // As a spreadsheet saves it: a byte-order mark, CRLF.
        let labels = Labels::parse("\u{feff}my, digit.png , 4\r\n", "l.csv".as_ref()).unwrap();
        assert_eq!(labels.of("/photos/my, digit.png".as_ref()), Some(4));
        assert_eq!(labels.len(), 1);
    }

    #[test]
    fn a_picture_that_could_not_be_read_is_wrong() {
        let labels = Labels::parse("a.png,1\n", "l.csv".as_ref()).unwrap();
        let score = labels.score([(Path::new("x/a.png"), None)]);
        assert_eq!((score.labelled, score.right, score.rate()), (1, 0, 0.0));
        assert_eq!(score.wrong, vec![(PathBuf::from("x/a.png"), 1, None)]);
        assert!(score.not_given.is_empty());
    }
}
