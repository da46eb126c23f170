//! What a photo shows around the digit that is not the digit: the ruled lines
//! of notebook or squared paper and the dark desk or shadow beyond the
//! paper's edge (a dotted page's dots are `strays.rs`'s).
//!
//! After the background is flattened both are bright "ink" like the strokes;
//! kept, the crop to the ink takes the whole picture and the digit ends up a
//! few pixels wide among stripes. They are told from strokes by their shape:
//! ruled lines are thin, straight, parallel and cross the picture from edge
//! to edge (a stroke is alone of its kind, thicker, or stops short of the
//! edges); the desk is ink that lies along the picture's edge for a long way,
//! or runs from one side to another (a stroke ending at the edge of a tight
//! crop touches it only across its width). Measured on `lookalike`'s notebook
//! and desk photos (docs/PREDICT.md).

use super::gray::{Gray, median};
use super::mask::{dilate, grown, halved, pieces, transpose};

/// Ruled lines are cleared only where at least this many run parallel (a
/// page shows many; a digit has at most two parallel straight strokes).
const MIN_LINES: usize = 3;
/// Ink, once the background is flattened (strokes ≈ 1, paper ≈ 0): low, so
/// that a ruled line stays whole where the digit's ink beside it dimmed it
/// (and a faint piece of the digit counts as one, in `strays.rs`).
pub(super) const INK: f32 = 0.25;
/// Ink joined to the desk at this level or above goes with it.
const FAINT: f32 = 0.02;
/// Steepest ruled line looked for, in degrees from the horizontal or vertical
/// (a photo of a page held roughly square).
const MAX_TILT_DEGREES: f32 = 6.0;
/// Steps between the tilts tried: along the 256 columns of a 512 px picture
/// at half resolution, a line drifts by at most ±1 px from the nearest tilt.
const TILT_STEP_DEGREES: f32 = 0.4;
/// Lines are counted along every this many columns (rows, for vertical lines)
/// of the half-resolution picture.
const SAMPLE_EVERY: usize = 2;
/// A ruled line's ink covers at least this share of its length in the picture
/// (not all of it: beside the digit the flattening dims it).
const LINE_COVERAGE: f32 = 0.6;
/// ... over at least this share of the picture's side (not a corner's sliver).
const LINE_MIN_LENGTH: f32 = 0.6;
/// ... and reaches to within this share of the picture's side from both of
/// its ends (the paper fills the picture; a stroke of a digit, even a tight
/// crop's, stops short of the edges).
const LINE_END_REACH: f32 = 0.12;
/// A ruled line is at most this thick, as a share of the picture's shorter
/// side (at least 2 px): 1.2% is 6 px of a 512 px picture; a pen's stroke on
/// a digit that fills the picture is thicker.
const LINE_MAX_THICKNESS: f32 = 0.015;
/// Ink that lies along the picture's edge for this share of its shorter side
/// is the surroundings, not a stroke (a stroke of a digit drawn big on the
/// explorer's canvas may touch its edge across the brush's width, 40 px of 280).
const EDGE_CONTACT: f32 = 0.5;
/// How far beyond what is cleared its fringe reaches, as a share of the
/// picture's shorter side (5 px of a 512 px picture).
const FRINGE: f32 = 0.01;
/// ... or that runs from one side of the picture to another across this share
/// of its width or height.
const EDGE_SPAN: f32 = 0.6;
/// What the removal leaves must be at least this share of the picture's
/// pixels, else nothing is removed (the "digit" was all of it).
const MIN_LEFT: f32 = 0.0005;

/// Ink on a ruled line at least this many times as dark as the line's own
/// (its median, as a share of the paper's light) is a pen stroke running
/// along the line, and stays: a pen writes darker than the ruling is printed
/// (where it does not, the stroke goes with the line as before).
const PEN_OVER_LINE: f32 = 1.5;

/// Clears ruled lines and the surroundings beyond the paper's edge from
/// `ink`, a flattened picture (light ink on black, in [0, 1]); where the
/// clearing would leave no digit, `ink` is left as it was. `darkness` is each
/// pixel's ink as a share of the paper's light before the flattening
/// stretched it (where both saturate, it still tells a pen from the ruling).
pub(super) fn clear_surroundings(ink: &mut Gray, darkness: &[f32]) {
    let (w, h) = (ink.width() as usize, ink.height() as usize);
    if w < 8 || h < 8 {
        return;
    }
    let mask: Vec<bool> = ink.as_raw().iter().map(|&v| v > INK).collect();
    // Lines are looked for in all the ink, however faint: beside the digit
    // the flattening dims them.
    let any_ink: Vec<bool> = ink.as_raw().iter().map(|&v| v > FAINT).collect();
    // At half the resolution (a line stays a line; a quarter of the work).
    let (half, hw, hh) = halved(&any_ink, w, h);
    let (half_lines, half_corners) = ruling(&half, hw, hh);
    let full = |half: &[bool]| -> Vec<bool> {
        (0..w * h)
            .map(|i| half[(i / w / 2) * hw + (i % w) / 2])
            .collect()
    };
    let mut lines = full(&half_lines);
    spare_darker_strokes(&mut lines, &mask, darkness, &full(&half_corners));
    // A line's faint edges and its stretches dimmed beside the digit go with
    // it, but not the digit's strokes it crosses.
    let faint_only = without(&any_ink, &mask);
    let mut clear = grown(lines, &faint_only, w, h);
    // The desk is all the ink joined to it, however faint (flattened, its
    // inside is faint and only the band along the paper's edge is bright),
    // and its fringe.
    let kept = without(&any_ink, &clear);
    let edges = along_the_edges(&kept, w, h);
    let fringe = (FRINGE * w.min(h) as f32).ceil() as usize;
    for (c, edge) in clear.iter_mut().zip(dilate(&edges, w, h, fringe)) {
        *c |= edge;
    }
    let left = mask.iter().zip(&clear).filter(|&(&m, &c)| m && !c).count();
    if !clear.contains(&true) || (left as f32) < MIN_LEFT * (w * h) as f32 {
        return;
    }
    for (v, c) in ink.iter_mut().zip(clear) {
        if c {
            *v = 0.0;
        }
    }
}

/// The ruled lines of `half` (a mask at half resolution, `w` × `h`), both
/// ways, less where a stroke crosses them; and the corners of a grid, where
/// lines of both ways meet.
///
/// On squared paper the lines of the one way cross those of the other at
/// every corner: those crossings are not strokes (kept as strokes, they left
/// a lattice of dots that the crop took for the digit), so each way's
/// crossings are looked for in the ink without the other way's lines.
fn ruling(half: &[bool], w: usize, h: usize) -> (Vec<bool>, Vec<bool>) {
    let across = ruled_lines(half, w, h);
    let down = transpose(&ruled_lines(&transpose(half, w, h), h, w), h, w);
    let mut lines = uncrossed(across, &without(half, &down), w, h);
    let down = transpose(
        &uncrossed(
            transpose(&down, w, h),
            &transpose(&without(half, &lines), w, h),
            h,
            w,
        ),
        h,
        w,
    );
    let corners = lines.iter().zip(&down).map(|(&a, &d)| a && d).collect();
    for (line, down) in lines.iter_mut().zip(down) {
        *line |= down;
    }
    (lines, corners)
}

/// Takes from `lines` the ink at least [`PEN_OVER_LINE`] times as dark as the
/// lines' own: where a stroke runs along a line (the bottom of a 2 written on
/// it), the line search takes the stroke for the line. At a grid's
/// `corners` the pen must be twice as dark again: where two lines cross, the
/// photo's blur adds their darkness up (with the one floor they passed for a
/// pen, and a lattice of dots was left for the crop to take for the digit).
fn spare_darker_strokes(lines: &mut [bool], mask: &[bool], darkness: &[f32], corners: &[bool]) {
    // The lines' own darkness: their median, which the few pixels of a
    // stroke along them do not move (their soft edges pull it down a little:
    // a line's core may pass for a pen only where it is 1.5 times its edges).
    let on_lines: Vec<f32> = (0..lines.len())
        .filter(|&i| lines[i] && mask[i] && !corners[i])
        .map(|i| darkness[i])
        .collect();
    // Ruling too faint to measure (under two grey levels) tells nothing.
    let lines_own = median(&on_lines);
    if lines_own < 2.0 / 255.0 {
        return;
    }
    let floor = PEN_OVER_LINE * lines_own;
    for (i, line) in lines.iter_mut().enumerate() {
        // Where two lines cross they are up to twice as dark as one.
        let floor = if corners[i] { 2.0 * floor } else { floor };
        if mask[i] && darkness[i] >= floor {
            *line = false;
        }
    }
}

/// The pixels of near-horizontal ruled lines in `mask` (`w` × `h`, row-major),
/// strokes that cross them included ([`uncrossed`] takes those out): for each
/// tilt, the ink is counted along every line of that tilt; a thin band of
/// lines each mostly ink from edge to edge is a ruled line.
fn ruled_lines(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut lines = vec![false; w * h];
    let max_thickness = max_thickness(w, h);
    let steps = (MAX_TILT_DEGREES / TILT_STEP_DEGREES).round() as i32;
    // Offsets run from below the lowest line to above the highest.
    let slack = (w as f32 * MAX_TILT_DEGREES.to_radians().tan()).ceil() as usize + 1;
    let bins = h + 2 * slack;
    let mut ink = vec![0u32; bins];
    let mut length = vec![0u32; bins];
    let mut ends = vec![Ends::NONE; bins];
    let mut paint = vec![false; bins];
    let mut shift = vec![0usize; w];
    for step in -steps..=steps {
        let slope = (step as f32 * TILT_STEP_DEGREES).to_radians().tan();
        // Pixel (x, y) lies on the line of offset y + shift[x] at this tilt.
        for (x, s) in shift.iter_mut().enumerate() {
            *s = (slack as f32 - slope * (x as f32 - w as f32 / 2.0)).round() as usize;
        }
        ink.fill(0);
        length.fill(0);
        ends.fill(Ends::NONE);
        // Every few columns tell a line's coverage as well as all of them.
        for y in 0..h {
            for (sample, x) in (0..w).step_by(SAMPLE_EVERY).enumerate() {
                let b = y + shift[x];
                length[b] += 1;
                let sample = sample as u32;
                ends[b].first_seen = ends[b].first_seen.min(sample);
                ends[b].last_seen = ends[b].last_seen.max(sample);
                if mask[y * w + x] {
                    ink[b] += 1;
                    ends[b].first_ink = ends[b].first_ink.min(sample);
                    ends[b].last_ink = ends[b].last_ink.max(sample);
                }
            }
        }
        let samples = w.div_ceil(SAMPLE_EVERY) as f32;
        let reach = (LINE_END_REACH * samples) as u32;
        let is_line = |b: usize| {
            length[b] as f32 >= LINE_MIN_LENGTH * samples
                && ink[b] as f32 >= LINE_COVERAGE * length[b] as f32
                && ends[b].first_ink <= ends[b].first_seen + reach
                && ends[b].last_ink + reach >= ends[b].last_seen
        };
        paint.fill(false);
        let mut found = 0;
        let mut b = 0;
        while b < bins {
            let start = b;
            while b < bins && is_line(b) {
                b += 1;
            }
            if b == start {
                b += 1;
            } else if b - start <= max_thickness {
                // One line more each side: the line's softer edge.
                paint[start.saturating_sub(1)..(b + 1).min(bins)].fill(true);
                found += 1;
            }
        }
        // Ruled paper has many parallel lines; one or two straight thin
        // strokes across a tight crop (a 0 drawn with straight sides on the
        // explorer's canvas) are the digit's.
        if found >= MIN_LINES {
            for y in 0..h {
                for x in 0..w {
                    lines[y * w + x] |= paint[y + shift[x]];
                }
            }
        }
    }
    lines
}

/// `lines` (near-horizontal, from [`ruled_lines`]) less the pixels where a
/// stroke of `strokes` crosses them. Where a stroke crosses a line there is
/// ink beyond the line on both sides, and the stroke runs from the one to
/// the other through the line: that ink is the digit's and stays. Beside the
/// stroke the line goes (kept for the whole window, it left a tick across
/// every stroke).
fn uncrossed(mut lines: Vec<bool>, strokes: &[bool], w: usize, h: usize) -> Vec<bool> {
    let beyond = (max_thickness(w, h) + 2).min(MAX_BEYOND);
    for (i, line) in lines.iter_mut().enumerate() {
        if *line && crossed(strokes, w, h, i % w, i / w, beyond) {
            *line = false;
        }
    }
    lines
}

/// A ruled line's thickness at most, in pixels of a `w` × `h` picture.
fn max_thickness(w: usize, h: usize) -> usize {
    ((LINE_MAX_THICKNESS * w.min(h) as f32).round() as usize).max(2)
}

/// The pixels of `mask` that are not in `taken`.
fn without(mask: &[bool], taken: &[bool]) -> Vec<bool> {
    mask.iter().zip(taken).map(|(&m, &t)| m && !t).collect()
}

/// Farthest a crossing stroke's ink is looked for above and below a line,
/// and to either side (its offsets fit in a `u64`).
const MAX_BEYOND: usize = 31;
/// How far (in pixels of the half-resolution picture) the straight path
/// between a stroke's ink above a line and below it may pass beside a pixel
/// of the line that it keeps (the stroke's soft edge).
const CROSSING_SLACK: u32 = 1;

/// Whether a stroke crosses the line at (`x`, `y`) of `mask`: there is ink
/// `beyond` rows above and below, within `beyond` to either side, such that
/// the path from the one to the other passes within [`CROSSING_SLACK`] of `x`.
fn crossed(mask: &[bool], w: usize, h: usize, x: usize, y: usize, beyond: usize) -> bool {
    // The ink's offsets from `x` in a row, as bits (bit `beyond + dx`).
    let offsets = |row: usize| -> u64 {
        let mut bits = 0u64;
        for dx in x.saturating_sub(beyond)..(x + beyond + 1).min(w) {
            if mask[row * w + dx] {
                bits |= 1 << (dx + beyond - x);
            }
        }
        bits
    };
    let (Some(above), below) = (y.checked_sub(beyond), y + beyond) else {
        return false;
    };
    if below >= h {
        return false;
    }
    let (above, below) = (offsets(above), offsets(below));
    // The path from offset a above to offset c below crosses the line at
    // (a + c) / 2: within the slack of x where a is within twice the slack
    // of -c, that is where a's bit meets c's bit mirrored about the window's
    // middle, widened.
    let width = 2 * beyond + 1;
    let mirrored = below.reverse_bits() >> (64 - width);
    let mut near = mirrored;
    for shift in 1..=2 * CROSSING_SLACK {
        near |= mirrored << shift | mirrored >> shift;
    }
    above & near != 0
}

/// Where a line of one tilt enters and leaves the picture, and where its
/// first and last ink are (in samples along it).
#[derive(Clone, Copy)]
struct Ends {
    first_seen: u32,
    last_seen: u32,
    first_ink: u32,
    last_ink: u32,
}

impl Ends {
    const NONE: Self = Self {
        first_seen: u32::MAX,
        last_seen: 0,
        first_ink: u32::MAX,
        last_ink: 0,
    };
}

/// The connected pieces of ink (8-neighbours) that lie along the picture's
/// edge for at least [`EDGE_CONTACT`] of its shorter side, or run from side to
/// side across [`EDGE_SPAN`] of it.
fn along_the_edges(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    let min_contact = (EDGE_CONTACT * w.min(h) as f32) as usize;
    let on_edge = |i: usize| {
        let (x, y) = (i % w, i / w);
        x == 0 || y == 0 || x == w - 1 || y == h - 1
    };
    let mut out = vec![false; w * h];
    for piece in pieces(mask, w, h) {
        // Which sides it touches (left, top, right, bottom) and how far it
        // reaches across the picture.
        let touches = piece.sides(w, h).iter().filter(|&&s| s).count();
        if touches == 0 {
            continue;
        }
        let contact = piece.members.iter().filter(|&&i| on_edge(i)).count();
        let (width, height) = piece.size();
        let spans = width as f32 >= EDGE_SPAN * w as f32 || height as f32 >= EDGE_SPAN * h as f32;
        // Along one side, or from side to side: the paper's edge, where the
        // desk beyond it is wide enough for the flattening to have taken its
        // inside as background.
        if contact >= min_contact || (touches >= 2 && spans) {
            for &i in &piece.members {
                out[i] = true;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flattened 400×300 picture: a digit-like stroke (a vertical bar and a
    /// short cross-bar, 12 px thick) away from the edges.
    fn digit() -> Gray {
        Gray::from_fn(400, 300, |x, y| {
            let bar = (190..202).contains(&x) && (80..230).contains(&y);
            let cross = (150..240).contains(&x) && (80..92).contains(&y);
            image::Luma([if bar || cross { 1.0 } else { 0.0 }])
        })
    }

    fn ink_at(g: &Gray, x: u32, y: u32) -> f32 {
        g.get_pixel(x, y).0[0]
    }

    /// How many pixels hold ink in `a` and none in `b` (pictures of one
    /// size), counting only those at least `margin` px from the edge.
    fn ink_only_in(a: &Gray, b: &Gray, margin: u32) -> usize {
        let (w, h) = a.dimensions();
        let inner =
            |x: &u32, y: &u32| (margin..w - margin).contains(x) && (margin..h - margin).contains(y);
        (a.enumerate_pixels().zip(b.pixels()))
            .filter(|((x, y, p), q)| inner(x, y) && p.0[0] > 0.0 && q.0[0] == 0.0)
            .count()
    }

    #[test]
    fn ruled_lines_go_and_the_strokes_they_cross_stay() {
        let mut page = digit();
        // Lines 2 px thick every 40 px, a little tilted, over paper and ink.
        for (x, y, v) in page.enumerate_pixels_mut() {
            let across = y as f32 + 0.03 * x as f32;
            if across % 40.0 < 2.0 {
                v.0[0] = v.0[0].max(0.8);
            }
        }
        let expected = digit();
        let darkness = page.as_raw().clone();
        clear_surroundings(&mut page, &darkness);
        let stray = ink_only_in(&page, &expected, 0);
        assert!(stray < 200, "{stray} pixels of the lines are left");
        // The bar, where lines cross it, is whole, and the lines go from
        // beside it: no tick across it.
        for y in 95..225 {
            assert_eq!(ink_at(&page, 196, y), 1.0, "the stroke was cut at y {y}");
            for x in (180..186).chain(206..212) {
                assert_eq!(ink_at(&page, x, y), 0.0, "a tick is left at {x},{y}");
            }
        }
    }

    #[test]
    fn squared_paper_goes_corners_and_all_and_the_strokes_stay() {
        // Lines 2 px thick every 30 px both ways, a little tilted; before the
        // stretch a line was 0.2 of the paper's light dark, a corner, where
        // the photo's blur adds two lines up, 0.4, and the pen 0.7.
        let mut page = digit();
        let mut darkness = vec![0.0; page.len()];
        for (i, (x, y, v)) in page.enumerate_pixels_mut().enumerate() {
            let across = (y as f32 + 0.03 * x as f32).rem_euclid(30.0) < 2.0;
            let down = (x as f32 - 0.03 * y as f32 + 7.0).rem_euclid(30.0) < 2.0;
            darkness[i] = match (v.0[0] > 0.0, across, down) {
                (true, _, _) => 0.7,
                (_, true, true) => 0.4,
                (_, true, false) | (_, false, true) => 0.2,
                _ => 0.0,
            };
            if across || down {
                v.0[0] = 1.0;
            }
        }
        clear_surroundings(&mut page, &darkness);
        let expected = digit();
        // Away from the picture's edge (where a line's end that leaves the
        // picture is the stray marks' clearing's, `strays.rs`).
        let stray = ink_only_in(&page, &expected, 4);
        assert!(stray < 100, "{stray} pixels of the grid are left");
        let gone = ink_only_in(&expected, &page, 0);
        assert!(gone < 50, "{gone} pixels of the digit went with the grid");
    }

    #[test]
    fn a_stroke_along_a_ruled_line_stays_where_the_pen_is_darker() {
        // The digit's cross-bar written along a ruled line (lines 2 px thick
        // every 40 px; the bar 4 px thick over the line at rows 200-201).
        // Flattened, lines and strokes are all 1; before the stretch the pen
        // was twice as dark as the ruling, or as light as it.
        let along = |x: u32, y: u32| (150..240).contains(&x) && (199..203).contains(&y);
        for (pen, kept) in [(0.8, true), (0.35, false)] {
            let mut page = digit();
            let mut darkness = vec![0.0; page.len()];
            for (i, (x, y, v)) in page.enumerate_pixels_mut().enumerate() {
                let stroke = v.0[0] > 0.0 || along(x, y);
                let line = y % 40 < 2;
                if stroke || line {
                    v.0[0] = 1.0;
                }
                darkness[i] = if stroke {
                    pen
                } else if line {
                    0.35
                } else {
                    0.0
                };
            }
            clear_surroundings(&mut page, &darkness);
            let whole = (152..238).all(|x| ink_at(&page, x, 200) == 1.0);
            assert_eq!(whole, kept, "pen darkness {pen}");
            assert_eq!(ink_at(&page, 50, 200), 0.0, "the line beside it goes");
            assert_eq!(ink_at(&page, 300, 200), 0.0, "the line beside it goes");
        }
    }

    #[test]
    fn crossed_agrees_with_trying_every_path() {
        // Every pair of ink pixels above and below, checked one by one: the
        // path's midpoint within the slack of x.
        let slow = |mask: &[bool], w: usize, h: usize, x: usize, y: usize, beyond: usize| {
            if y < beyond || y + beyond >= h {
                return false;
            }
            let (b, slack) = (beyond as i64, CROSSING_SLACK as i64);
            let ink = |row: usize, dx: i64| {
                let column = x as i64 + dx;
                (0..w as i64).contains(&column) && mask[row * w + column as usize]
            };
            (-b..=b).any(|above| {
                (-b..=b).any(|below| {
                    ink(y - beyond, above)
                        && ink(y + beyond, below)
                        && (above + below).abs() <= 2 * slack
                })
            })
        };
        let mut rng = crate::rng::Rng::derive(7, &[]);
        let (w, h) = (40, 30);
        for density in [0.02, 0.1, 0.4] {
            let mask: Vec<bool> = (0..w * h).map(|_| rng.next_f32() < density).collect();
            for beyond in [1, 3, 8, MAX_BEYOND] {
                for y in 0..h {
                    for x in 0..w {
                        assert_eq!(
                            crossed(&mask, w, h, x, y, beyond),
                            slow(&mask, w, h, x, y, beyond),
                            "at {x},{y}, beyond {beyond}, density {density}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_desk_beyond_the_paper_goes_and_a_stroke_at_the_edge_stays() {
        let mut photo = digit();
        // A desk along the left side, its edge a little tilted, with a soft
        // fringe; and a stroke of the digit reaching the bottom edge (a tight
        // crop), touching it only across its width.
        for (x, y, v) in photo.enumerate_pixels_mut() {
            let edge = 40.0 + 0.05 * y as f32;
            let from_edge = x as f32 - edge;
            if from_edge < 0.0 {
                v.0[0] = 0.9;
            } else if from_edge < 6.0 {
                v.0[0] = 0.1;
            }
            if (300..312).contains(&x) && y >= 200 {
                v.0[0] = 1.0;
            }
        }
        let darkness = photo.as_raw().clone();
        clear_surroundings(&mut photo, &darkness);
        for x in 0..60 {
            for y in 0..300 {
                assert_eq!(ink_at(&photo, x, y), 0.0, "desk left at {x},{y}");
            }
        }
        assert_eq!(ink_at(&photo, 196, 150), 1.0, "the digit went");
        assert_eq!(ink_at(&photo, 305, 299), 1.0, "the stroke at the edge went");
    }

    #[test]
    fn one_thin_stroke_across_a_tight_crop_stays() {
        // A tight crop of a thin-penned 7: its bar 2 px thick across 92% of the
        // width, 4% from each edge, alone of its kind; and a speck, so that
        // clearing the bar would still leave something.
        let mut seven = Gray::from_fn(300, 300, |x, y| {
            let bar = (12..288).contains(&x) && (40..42).contains(&y);
            let stem = (150..153).contains(&x) && (42..270).contains(&y);
            let speck = (20..24).contains(&x) && (280..284).contains(&y);
            image::Luma([if bar || stem || speck { 1.0 } else { 0.0 }])
        });
        let before = seven.clone();
        let darkness = seven.as_raw().clone();
        clear_surroundings(&mut seven, &darkness);
        assert_eq!(seven, before);
    }

    #[test]
    fn a_picture_that_is_all_line_is_left_as_it_is() {
        let mut line = Gray::from_fn(200, 100, |_, y| {
            image::Luma([if (50..52).contains(&y) { 1.0 } else { 0.0 }])
        });
        let before = line.clone();
        let darkness = line.as_raw().clone();
        clear_surroundings(&mut line, &darkness);
        assert_eq!(line, before);
    }
}
