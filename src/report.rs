//! One self-contained HTML page: tables, pictures and charts embedded (PNG as
//! `data:` URIs, charts as inline SVG), no scripts or fonts from the network, so
//! the file can be mailed, archived or opened offline and looks the same.
//!
//! The page carries one small inline script that checks, once loaded, that every
//! picture decoded, and says so on `<body data-images-ok>` (and as a console
//! error otherwise): tests/it/compare.rs reads it from headless Chromium.

use std::fmt::Write as _;
use std::io::Cursor;
use std::path::Path;

use image::{ImageFormat, RgbImage};

use crate::viz::Chart;
use crate::{Error, Result};

/// An HTML report being assembled, section by section.
///
/// ```
/// use lenet::report::Report;
///
/// let mut report = Report::new("LeNet5 on MNIST");
/// report
///     .section("Summary")
///     .paragraph("Trained for 1 epoch.")
///     .table(&["model", "accuracy"], vec![vec!["LeNet5".into(), "97.3%".into()]]);
/// report.section("A picture").image("eight pixels", &image::RgbImage::new(4, 2), "blank")?;
/// let html = report.to_html();
/// assert!(html.contains("<td>97.3%</td>") && html.contains("data:image/png;base64,"));
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    title: String,
    sections: Vec<Section>,
}

/// One titled part of a [`Report`].
#[derive(Debug, Clone)]
pub struct Section {
    heading: String,
    body: String,
}

impl Report {
    /// An empty report.
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            sections: Vec::new(),
        }
    }

    /// Starts a new section and returns it for filling.
    pub fn section(&mut self, heading: &str) -> &mut Section {
        self.sections.push(Section {
            heading: heading.to_string(),
            body: String::new(),
        });
        self.sections.last_mut().expect("just pushed")
    }

    /// The whole page.
    pub fn to_html(&self) -> String {
        let mut html = String::new();
        let title = escape(&self.title);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );
        if self.sections.len() > 2 {
            html.push_str("<nav><ul>");
            for (i, s) in self.sections.iter().enumerate() {
                let _ = write!(
                    html,
                    "<li><a href=\"#s{i}\">{}</a></li>",
                    escape(&s.heading)
                );
            }
            html.push_str("</ul></nav>\n");
        }
        for (i, s) in self.sections.iter().enumerate() {
            let _ = write!(
                html,
                "<section id=\"s{i}\">\n<h2>{}</h2>\n{}</section>\n",
                escape(&s.heading),
                s.body
            );
        }
        html.push_str("<footer>Written by the lenet crate. Everything on this page is in this one file.</footer>\n");
        let _ = write!(html, "<script>{CHECK_IMAGES}</script>\n</body>\n</html>\n");
        html
    }

    /// Writes the page to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::atomic_file::write_atomic(path, self.to_html().as_bytes())
    }
}

impl Section {
    /// A paragraph of plain text (escaped).
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
        self
    }

    /// A table of plain-text cells; the first column is left-aligned, the others
    /// right-aligned (they are numbers).
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) -> &mut Self {
        self.body.push_str("<table>\n<thead><tr>");
        for h in header {
            let _ = write!(self.body, "<th>{}</th>", escape(h));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for cell in row {
                let _ = write!(self.body, "<td>{}</td>", escape(&cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody>\n</table>\n");
        self
    }

    /// A picture, embedded as PNG, with a caption.
    pub fn image(&mut self, alt: &str, image: &RgbImage, caption: &str) -> Result<&mut Self> {
        let figure = figure_html(alt, image, caption)?;
        self.body.push_str(&figure);
        Ok(self)
    }

    /// Pictures side by side (wrapping on narrow screens).
    pub fn images_side_by_side(&mut self, items: &[(&str, &RgbImage, &str)]) -> Result<&mut Self> {
        self.body.push_str("<div class=\"row\">\n");
        for (alt, image, caption) in items {
            self.body.push_str(&figure_html(alt, image, caption)?);
        }
        self.body.push_str("</div>\n");
        Ok(self)
    }

    /// A chart, embedded as inline SVG so it stays sharp at any zoom.
    pub fn chart(&mut self, chart: &impl Chart, caption: &str) -> Result<&mut Self> {
        let svg = chart.to_svg()?;
        let svg = svg.trim_start_matches(|c| c != '<');
        let svg = svg
            .strip_prefix("<?xml")
            .and_then(|rest| rest.split_once("?>").map(|(_, after)| after))
            .unwrap_or(svg);
        let _ = writeln!(
            self.body,
            "<figure class=\"chart\">{svg}<figcaption>{}</figcaption></figure>",
            escape(caption)
        );
        Ok(self)
    }

    /// Preformatted text (a table printed for a terminal, say).
    pub fn preformatted(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.body, "<pre>{}</pre>", escape(text));
        self
    }
}

fn figure_html(alt: &str, image: &RgbImage, caption: &str) -> Result<String> {
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|source| Error::Image {
            path: "report.html".into(),
            source: Box::new(source),
        })?;
    Ok(format!(
        "<figure><img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>\n",
        escape(alt),
        image.width(),
        image.height(),
        base64(&png),
        escape(caption)
    ))
}

/// Escapes the five characters that matter in HTML text and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648), for `data:` URIs.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; max-width: 1240px;
       margin: 2em auto; padding: 0 1em; color: #1d1d1f; background: #fff; line-height: 1.45; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.8em; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead { background: #f3f4f6; }
figure { margin: 1em 0; display: inline-block; vertical-align: top; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #eee; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; max-width: 640px; }
.row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
footer { margin-top: 3em; font-size: 0.85em; color: #777; }
";

/// Marks the body once every picture has decoded; a broken one is a console error.
const CHECK_IMAGES: &str = "
window.addEventListener('load', function () {
  var images = document.images, ok = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { ok++; }
    else { console.error('picture ' + i + ' (' + images[i].alt + ') did not decode'); }
  }
  document.body.setAttribute('data-images-ok', ok + '/' + images.length);
});
";

#[cfg(test)]
mod tests {
    use super::{base64, escape};

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn text_cannot_break_out_of_the_markup() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
