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
/// per picture, `name,label` (`00012.jpg,7`; a name may be quoted, as
/// spreadsheets quote one with a comma: `"my, digit.png",4`); blank lines,
/// lines starting with `#`, a UTF-8 byte-order mark and a first line that
/// names columns (neither its label a number nor its name with a dot, such
/// as `file,label`) are skipped. A picture is matched by its file name
/// alone, wherever it lies; a name with a folder in it is refused.
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
    /// The others, in the order of the readings: a picture, its label, and what it was
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
            let (Some(name), Some(label)) = (unquote(name.trim()), unquote(label.trim())) else {
                return Err(fail(line, LabelsProblem::NotNameAndLabel));
            };
            if name.is_empty() {
                return Err(fail(line, LabelsProblem::NotNameAndLabel));
            }
            let Ok(label) = label.parse::<usize>() else {
                // A header names columns, not a file.
                if first && !name.contains('.') {
                    continue;
                }
                return Err(fail(line, LabelsProblem::NotALabel(label)));
            };
            if name.contains(['/', '\\']) {
                return Err(fail(line, LabelsProblem::NotAFileName(name)));
            }
            if let Some(&(_, earlier)) = by_name.get(&name) {
                let problem = LabelsProblem::Twice {
                    name,
                    first: earlier,
                };
                return Err(fail(line, problem));
            }
            by_name.insert(name, (label, line));
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

    /// Checks that no two of `pictures` have a file name this file labels:
    /// it names a picture by its file name alone, so it could not say which
    /// one it means (two folders saved by `lookalikes`, say, or one picture
    /// given twice).
    pub fn check_pictures(&self, pictures: &[PathBuf]) -> Result<()> {
        let mut seen: HashMap<&str, &Path> = HashMap::new();
        for picture in pictures {
            let Some(name) = file_name(picture) else {
                continue;
            };
            let Some(&(_, line)) = self.by_name.get(name) else {
                continue;
            };
            if let Some(first) = seen.insert(name, picture) {
                return Err(Error::Labels {
                    path: self.path.clone(),
                    line,
                    problem: LabelsProblem::GivenTwice {
                        name: name.to_string(),
                        first: first.to_path_buf(),
                        second: picture.clone(),
                    },
                });
            }
        }
        Ok(())
    }

    /// The label of the picture at `picture`, by its file name.
    pub fn of(&self, picture: &Path) -> Option<usize> {
        self.by_name
            .get(file_name(picture)?)
            .map(|&(label, _)| label)
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
    /// (`None` where it could not be read). A picture whose file name comes
    /// twice is counted twice ([`check_pictures`](Self::check_pictures)
    /// refuses that first).
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
            given.extend(file_name(picture));
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

/// What a picture is labelled by: its file name.
fn file_name(picture: &Path) -> Option<&str> {
    picture.file_name()?.to_str()
}

/// A CSV field without the quotes around it (`""` inside is one `"`); none
/// for a field that opens a quote and does not close it.
fn unquote(field: &str) -> Option<String> {
    match field.strip_prefix('"') {
        Some(rest) => Some(rest.strip_suffix('"')?.replace("\"\"", "\"")),
        None => Some(field.to_string()),
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
        // A first line with a file's name is not a header.
        assert_eq!(
            problem("a.png,seven\nb.png,3\n"),
            (1, LabelsProblem::NotALabel("seven".into()))
        );
        assert_eq!(
            problem("photos/a.png,3\n"),
            (1, LabelsProblem::NotAFileName("photos/a.png".into()))
        );
        assert_eq!(problem("\"a.png,3\n"), (1, LabelsProblem::NotNameAndLabel));
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
        let saved = "\u{feff}name,digit\r\n\"my, \"\"best\"\" digit.png\" , 4\r\nb.png,\"5\"\r\n";
        let labels = Labels::parse(saved, "l.csv".as_ref()).unwrap();
        assert_eq!(
            labels.of("/photos/my, \"best\" digit.png".as_ref()),
            Some(4)
        );
        assert_eq!(labels.of("b.png".as_ref()), Some(5));
        assert_eq!(labels.len(), 2);
    }

    #[test]
    fn two_pictures_of_one_labelled_name_are_refused() {
        let labels = Labels::parse("a.png,1\n", "l.csv".as_ref()).unwrap();
        let apart = [PathBuf::from("x/a.png"), PathBuf::from("x/b.png")];
        assert!(labels.check_pictures(&apart).is_ok());
        let same_name = [PathBuf::from("x/a.png"), PathBuf::from("y/a.png")];
        match labels.check_pictures(&same_name) {
            Err(Error::Labels {
                line: 1, problem, ..
            }) => assert_eq!(
                problem,
                LabelsProblem::GivenTwice {
                    name: "a.png".into(),
                    first: "x/a.png".into(),
                    second: "y/a.png".into()
                }
            ),
            other => panic!("{other:?}"),
        }
        // Unlabelled names may repeat.
        let unlabelled = [PathBuf::from("x/c.png"), PathBuf::from("y/c.png")];
        assert!(labels.check_pictures(&unlabelled).is_ok());
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
