//! Marks in a picture away from the digit: the end of a ruled line that
//! leaves the picture through its top, a speck of dirt, the faint ruling the
//! line search did not take, a shadow's edge, a dotted page's dots, a box
//! printed around the digit (touching it or not).
//!
//! The crop to the ink takes whatever ink there is; one such mark in a corner
//! and the digit is fitted into a box twice its size, a blob the model has
//! never seen. A digit is one piece of ink, or a few pieces close together (a
//! 5 whose bar is lifted off, a stroke broken where the pen skipped): the
//! pieces are gathered starting from the heaviest, each one near those
//! already gathered joining them, and the ink away from all of them is
//! cleared. Pieces the picture's edge cuts are where the photo's frame fell,
//! not where the writer put the digit: the gathering starts from one only
//! where no whole piece is nearly as heavy, and they join only where near.
//! Measured on `lookalike`'s notebook and desk photos (docs/PREDICT.md).

use super::gray::Gray;
use super::mask::{Piece, dilate, pieces};
use super::surroundings::INK;

/// A piece within this share of the gathered digit's larger side from its
/// box (along both axes) belongs to it.
const NEAR: f32 = 0.3;
/// A piece farther away still belongs to the digit if it holds at least this
/// share of the ink gathered so far (a second stroke as heavy as the first is
/// not a speck; where it is a second digit, both are read as before) — unless
/// the picture's edge cuts it.
const HEAVY: f32 = 0.25;
/// The ink kept around the gathered pieces, as a share of the picture's
/// shorter side (the strokes' soft edges; about 10 px of a 512 px picture).
const FRINGE: f32 = 0.02;
/// A piece whose box is at most this share of the picture's shorter side
/// across (12 px of a 480 px photo) may be a dot of a dotted page ...
const DOT_SIDE: f32 = 0.025;
/// ... where no other ink lies within this many times its size of it (a
/// dotted page's dots lie ten times their size apart; a broken pencil
/// stroke's bits, or a dot-matrix digit's dots, much closer) ...
const DOT_CLEARANCE: usize = 3;
/// ... and the picture holds at least this many such dots.
const MIN_DOTS: usize = 12;
/// A printed box's thin lines, blurred, are fainter than the pen's strokes:
/// above [`INK`] only pieces of them may be left. Boxes are looked for in the
/// ink above this, where their lines are whole.
const BOX_INK: f32 = INK / 4.0;
/// A piece is a printed box around the digit (a form's or a worksheet's
/// answer box) where, going in from each of its own box's four sides, the
/// first ink within this share of the box's shorter side ...
const FRAME_BAND: f32 = 0.15;
/// ... lies on a straight line (within this many pixels of it) ...
const FRAME_STRAIGHT: f32 = 1.5;
/// ... along this share of the side's length (a 7's bar and stem lie along
/// two sides only; a box's side is whole, or broken in a few places) ...
const FRAME_SIDES: f32 = 0.6;
/// ... and the piece's other ink, with the pieces inside its box (the digit,
/// whether it touches the box or not), weighs at least this share of it (a 0
/// drawn square, with a speck inside, is not a box around a digit).
const FRAME_CONTENT: f32 = 0.25;

/// Clears the ink of `ink` (a flattened picture, light ink on black in
/// [0, 1]) that lies away from the digit: the pieces of ink above [`INK`]
/// are gathered starting from the heaviest (see [`HEAVY`] and the module's
/// note on pieces the picture's edge cuts), each joining while near, and all
/// ink beyond a small fringe around them is set to 0.
pub(super) fn clear_strays(ink: &mut Gray) {
    let (w, h) = (ink.width() as usize, ink.height() as usize);
    if w < 8 || h < 8 {
        return;
    }
    // A box printed around the digit is a piece of its own that holds it, or
    // one piece with it where the digit touches it: gathered, the crop took
    // the box and the digit came out small in it.
    clear_boxes(ink);
    let mask: Vec<bool> = ink.as_raw().iter().map(|&v| v > INK).collect();
    let mut found = pieces(&mask, w, h);
    // A dotted page's dots near the digit joined it, and each one joined
    // brought the next within reach: the whole page was gathered. They are
    // left out (and so cleared) where some ink is not dots.
    let dots = page_dots(&found, w, h);
    if dots.contains(&false) {
        found = found
            .into_iter()
            .zip(dots)
            .filter_map(|(piece, dot)| (!dot).then_some(piece))
            .collect();
    }
    if found.is_empty() {
        return;
    }
    let weight = |piece: &Piece| -> f32 { piece.members.iter().map(|&i| ink.as_raw()[i]).sum() };
    let mut weighed: Vec<(f32, Piece)> = found.into_iter().map(|p| (weight(&p), p)).collect();
    weighed.sort_by(|a, b| b.0.total_cmp(&a.0));
    // A piece the picture's edge cuts is the end of a ruled line or the next
    // word, rather than the digit, where another piece not much lighter is
    // whole; and it joins the digit only where near it.
    let cut = |piece: &Piece| piece.sides(w, h).contains(&true);
    let heaviest = weighed[0].0;
    let first = (weighed.iter())
        .position(|(weight, piece)| !cut(piece) && *weight >= HEAVY * heaviest)
        .unwrap_or(0);
    let (mut gathered_weight, piece) = (weighed[first].0, &weighed[first].1);
    let mut bounds = (piece.left, piece.top, piece.right, piece.bottom);
    let mut gathered = vec![false; weighed.len()];
    gathered[first] = true;
    // Gathering one piece can bring another within reach: go round until
    // none joins.
    let mut joined = true;
    while joined {
        joined = false;
        for (k, (weight, piece)) in weighed.iter().enumerate() {
            if gathered[k] {
                continue;
            }
            let (left, top, right, bottom) = bounds;
            let reach = NEAR * (right - left + 1).max(bottom - top + 1) as f32;
            let gap_x = piece
                .left
                .saturating_sub(right)
                .max(left.saturating_sub(piece.right));
            let gap_y = piece
                .top
                .saturating_sub(bottom)
                .max(top.saturating_sub(piece.bottom));
            let near = gap_x.max(gap_y) as f32 <= reach;
            if near || *weight >= HEAVY * gathered_weight && !cut(piece) {
                gathered[k] = true;
                gathered_weight += weight;
                bounds = (
                    left.min(piece.left),
                    top.min(piece.top),
                    right.max(piece.right),
                    bottom.max(piece.bottom),
                );
                joined = true;
            }
        }
    }

    let mut digit = vec![false; w * h];
    for ((_, piece), _) in weighed.iter().zip(&gathered).filter(|(_, g)| **g) {
        for &i in &piece.members {
            digit[i] = true;
        }
    }
    let fringe = (FRINGE * w.min(h) as f32).ceil() as usize;
    for (v, keep) in ink.iter_mut().zip(dilate(&digit, w, h, fringe)) {
        if !keep {
            *v = 0.0;
        }
    }
}

/// Clears the outline of every box printed around a digit in `ink`: see
/// [`box_outline`], [`BOX_INK`] and [`FRAME_CONTENT`]. The outline's soft
/// edges go with it; a stroke of the digit that touches the box loses at
/// most a pixel's width there.
fn clear_boxes(ink: &mut Gray) {
    let (w, h) = (ink.width() as usize, ink.height() as usize);
    let values = ink.as_raw();
    let found = pieces(
        &values.iter().map(|&v| v > BOX_INK).collect::<Vec<_>>(),
        w,
        h,
    );
    let weight = |members: &[usize]| -> f32 { members.iter().map(|&i| values[i]).sum() };
    let mut outlines = Vec::new();
    for (k, piece) in found.iter().enumerate() {
        let Some(outline) = box_outline(piece, w) else {
            continue;
        };
        let drawn = weight(&outline);
        let inside: f32 = (found.iter().enumerate())
            .filter(|&(j, p)| {
                j != k
                    && p.left > piece.left
                    && p.right < piece.right
                    && p.top > piece.top
                    && p.bottom < piece.bottom
            })
            .map(|(_, p)| weight(&p.members))
            .sum();
        let own_rest = weight(&piece.members) - drawn;
        if own_rest + inside >= FRAME_CONTENT * drawn {
            outlines.push(outline);
        }
    }
    let values: &mut [f32] = ink;
    for &i in outlines.iter().flatten() {
        clear_around(values, w, h, i);
    }
}

/// Sets pixel `i` of the `w` × `h` `values` to 0, and its neighbours too
/// where they are no darker than [`INK`] (the soft edges of what it belongs to).
fn clear_around(values: &mut [f32], w: usize, h: usize, i: usize) {
    let (x, y) = (i % w, i / w);
    for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            if values[ny * w + nx] <= INK {
                values[ny * w + nx] = 0.0;
            }
        }
    }
    values[i] = 0.0;
}

/// The pixels of `piece` (of a `w`-wide mask) that draw a printed box's
/// outline, or `None` where it draws none: going in from each side of the
/// piece's own box, the first ink within [`FRAME_BAND`] lies on a straight
/// line (tilted or not, [`FRAME_STRAIGHT`]) along [`FRAME_SIDES`] of the
/// side, and the outline is the run of ink from there as thick as the box's
/// lines and a pixel more (where a stroke of the digit touches a line from
/// inside, the run goes on into it; the stroke loses that pixel at most).
fn box_outline(piece: &Piece, w: usize) -> Option<Vec<usize>> {
    let (fw, fh) = piece.size();
    // (A speck is no box: and most pieces are specks, told here cheaply.)
    if fw.min(fh) < 8 {
        return None;
    }
    let band = ((FRAME_BAND * fw.min(fh) as f32) as usize).max(1);
    let mut own = vec![false; fw * fh];
    for &i in &piece.members {
        own[(i / w - piece.top) * fw + i % w - piece.left] = true;
    }
    // The pixel (in the piece's box) `depth` in from `side` (top, left,
    // bottom, right) at `position` along it.
    let at = |side: usize, position: usize, depth: usize| match side {
        0 => depth * fw + position,
        1 => position * fw + depth,
        2 => (fh - 1 - depth) * fw + position,
        _ => position * fw + fw - 1 - depth,
    };
    // Each side's positions whose first ink lies on its straight line: the
    // side, the position, where the ink starts and how far it runs.
    let mut on = Vec::new();
    for side in 0..4 {
        let length = if side % 2 == 0 { fw } else { fh };
        let runs: Vec<(usize, usize, usize)> = (0..length)
            .filter_map(|p| {
                let start = (0..band).find(|&d| own[at(side, p, d)])?;
                let run = (start..2 * band)
                    .take_while(|&d| own[at(side, p, d)])
                    .count();
                Some((p, start, run))
            })
            .collect();
        let enough = |count: usize| count as f32 >= FRAME_SIDES * length as f32;
        if !enough(runs.len()) {
            return None;
        }
        let starts: Vec<(f32, f32)> = (runs.iter())
            .map(|&(p, start, _)| (p as f32, start as f32))
            .collect();
        let (offset, slope) = straight_line(&starts);
        let straight: Vec<_> = (runs.into_iter())
            .filter(|&(p, start, _)| {
                (start as f32 - offset - slope * p as f32).abs() <= FRAME_STRAIGHT
            })
            .collect();
        if !enough(straight.len()) {
            return None;
        }
        on.extend(
            straight
                .into_iter()
                .map(|(p, start, run)| (side, p, start, run)),
        );
    }
    // The box's lines are printed alike: their thickness is the runs' median
    // over all four sides (a digit's stroke that touches one side along much
    // of it lengthens that side's runs). A filled bar is no box: its sides'
    // lines are as thick as it.
    let mut runs: Vec<f32> = on.iter().map(|&(_, _, _, run)| run as f32).collect();
    let thickness = middle(&mut runs) as usize;
    if thickness > band {
        return None;
    }
    let mut outline = vec![false; fw * fh];
    for (side, p, start, run) in on {
        for d in start..start + run.min(thickness + 1) {
            outline[at(side, p, d)] = true;
        }
    }
    let to_picture = |k: usize| (piece.top + k / fw) * w + piece.left + k % fw;
    Some(
        (0..fw * fh)
            .filter(|&k| outline[k])
            .map(to_picture)
            .collect(),
    )
}

/// The straight line `offset + slope * x` through most of `points` (x, y),
/// strays aside (Theil–Sen: the median slope between points half the set
/// apart, and the median offset).
fn straight_line(points: &[(f32, f32)]) -> (f32, f32) {
    let half = points.len() / 2;
    let mut slopes: Vec<f32> = (0..points.len() - half)
        .map(|k| {
            let ((x0, y0), (x1, y1)) = (points[k], points[k + half]);
            (y1 - y0) / (x1 - x0)
        })
        .collect();
    // (One point alone has no slope.)
    let slope = if half == 0 { 0.0 } else { middle(&mut slopes) };
    let mut offsets: Vec<f32> = points.iter().map(|&(x, y)| y - slope * x).collect();
    (middle(&mut offsets), slope)
}

/// The median of `values` (not empty), reordering them.
fn middle(values: &mut [f32]) -> f32 {
    let k = values.len() / 2;
    *values.select_nth_unstable_by(k, f32::total_cmp).1
}

/// Which of `found` (the pieces of a `w` × `h` mask) are the dots of a
/// dotted page: small, each alone (see [`DOT_CLEARANCE`]), and at least
/// [`MIN_DOTS`] of them; none where there are fewer.
fn page_dots(found: &[Piece], w: usize, h: usize) -> Vec<bool> {
    let max_side = (DOT_SIDE * w.min(h) as f32).ceil() as usize;
    let mut owner = vec![None; w * h];
    for (k, piece) in found.iter().enumerate() {
        for &i in &piece.members {
            owner[i] = Some(k);
        }
    }
    let alone = |k: usize, piece: &Piece| {
        let (pw, ph) = piece.size();
        let clearance = DOT_CLEARANCE * pw.max(ph);
        let (x0, y0) = (
            piece.left.saturating_sub(clearance),
            piece.top.saturating_sub(clearance),
        );
        let (x1, y1) = (
            (piece.right + clearance).min(w - 1),
            (piece.bottom + clearance).min(h - 1),
        );
        (y0..=y1).all(|y| (x0..=x1).all(|x| owner[y * w + x].is_none_or(|o| o == k)))
    };
    let dots: Vec<bool> = found
        .iter()
        .enumerate()
        .map(|(k, piece)| {
            let (pw, ph) = piece.size();
            pw.max(ph) <= max_side && alone(k, piece)
        })
        .collect();
    if dots.iter().filter(|&&dot| dot).count() < MIN_DOTS {
        return vec![false; found.len()];
    }
    dots
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flattened 300×300 picture: a 5 drawn as two pieces (its bar lifted
    /// off the body by 6 px), 8 px strokes.
    fn five() -> Gray {
        Gray::from_fn(300, 300, |x, y| {
            let bar = (110..190).contains(&x) && (60..68).contains(&y);
            let stem = (110..118).contains(&x) && (74..150).contains(&y);
            let belly = (110..190).contains(&x) && (142..150).contains(&y)
                || (182..190).contains(&x) && (142..230).contains(&y)
                || (110..190).contains(&x) && (222..230).contains(&y);
            image::Luma([if bar || stem || belly { 1.0 } else { 0.0 }])
        })
    }

    #[test]
    fn a_digit_in_pieces_stays_whole_and_marks_away_from_it_go() {
        let mut picture = five();
        // The end of a ruled line along the top edge, a speck in a corner and
        // faint ruling across the page.
        for (x, y, v) in picture.enumerate_pixels_mut() {
            if (0..70).contains(&x) && (2..5).contains(&y) {
                v.0[0] = 0.9;
            }
            if (280..284).contains(&x) && (280..284).contains(&y) {
                v.0[0] = 1.0;
            }
            if y % 30 == 0 && v.0[0] == 0.0 {
                v.0[0] = 0.15;
            }
        }
        clear_strays(&mut picture);
        let five = five();
        for (x, y, v) in picture.enumerate_pixels() {
            let expected = five.get_pixel(x, y).0[0];
            if expected > 0.0 {
                assert_eq!(v.0[0], expected, "the 5 lost {x},{y}");
            }
            let near = (100..200).contains(&x) && (50..240).contains(&y);
            if !near {
                assert_eq!(v.0[0], 0.0, "a mark is left at {x},{y}");
            }
        }
    }

    #[test]
    fn a_dotted_page_goes_and_a_digit_drawn_in_dots_stays() {
        // Dots 3 px across every 24 px over the whole page; the 5, and beside
        // it a 1 of dots 3 px across every 6 px (a dot-matrix printer's).
        let dotted = |x: u32, y: u32| x % 24 < 3 && y % 24 < 3;
        let one = |x: u32, y: u32| (240..243).contains(&x) && (60..230).contains(&y) && y % 6 < 3;
        let mut picture = five();
        for (x, y, v) in picture.enumerate_pixels_mut() {
            if dotted(x, y) || one(x, y) {
                v.0[0] = 1.0;
            }
        }
        clear_strays(&mut picture);
        let expected = five();
        for (x, y, v) in picture.enumerate_pixels() {
            if one(x, y) || expected.get_pixel(x, y).0[0] > 0.0 {
                assert_eq!(v.0[0], 1.0, "the digits lost {x},{y}");
            }
        }
        let left = (picture.enumerate_pixels())
            .filter(|&(x, y, v)| v.0[0] > 0.0 && dotted(x, y) && !(100..260).contains(&x))
            .count();
        assert_eq!(left, 0, "dots are left away from the digits");
    }

    #[test]
    fn a_box_around_the_digit_goes_touching_or_not_and_a_square_zero_stays() {
        // The 5 in a box 3 px thick, 20 px around it; and in one whose right
        // and bottom sides touch the 5's belly (x 182-189, y 222-229) along
        // it, from x 190 and y 230.
        let framed = |x: u32, y: u32, (right, bottom): (u32, u32)| {
            let (outer_x, outer_y) = ((87..right + 3).contains(&x), (37..bottom + 3).contains(&y));
            let (inner_x, inner_y) = ((90..right).contains(&x), (40..bottom).contains(&y));
            outer_x && outer_y && !(inner_x && inner_y)
        };
        for (right, bottom) in [(210, 250), (190, 230)] {
            let mut picture = five();
            for (x, y, v) in picture.enumerate_pixels_mut() {
                if framed(x, y, (right, bottom)) {
                    v.0[0] = 1.0;
                }
            }
            clear_strays(&mut picture);
            let five = five();
            for (x, y, v) in picture.enumerate_pixels() {
                // (Where the box touches it, the 5 may lose a pixel's width.)
                let expected = five.get_pixel(x, y).0[0];
                if x != right - 1 && y != bottom - 1 || expected == 0.0 {
                    assert_eq!(v.0[0], expected, "box to {right},{bottom}: {x},{y}");
                }
            }
        }

        // A 0 drawn square, a speck inside it: the 0 stays.
        let mut zero = Gray::from_fn(300, 300, |x, y| {
            let square = framed(x, y, (210, 250));
            let speck = (148..152).contains(&x) && (148..152).contains(&y);
            image::Luma([if square || speck { 1.0 } else { 0.0 }])
        });
        let before = zero.clone();
        clear_strays(&mut zero);
        assert_eq!(zero, before);
    }

    #[test]
    fn a_digit_the_edge_cuts_stays_and_a_speck_away_from_it_goes() {
        // A tight crop: a 1 running off the bottom edge, and a speck of dirt
        // in the top corner, whole but far lighter.
        let mut picture = Gray::from_fn(200, 200, |x, y| {
            let one = (96..104).contains(&x) && y >= 40;
            let speck = (180..184).contains(&x) && (5..9).contains(&y);
            image::Luma([if one || speck { 1.0 } else { 0.0 }])
        });
        clear_strays(&mut picture);
        assert_eq!(picture.get_pixel(100, 199).0[0], 1.0, "the 1 went");
        assert_eq!(picture.get_pixel(181, 6).0[0], 0.0, "the speck is left");
    }

    #[test]
    fn a_heavy_mark_the_edge_cuts_goes_though_it_outweighs_the_digit() {
        // A thin 1, and the end of a dark ruled line along the top edge, twice
        // as heavy and far from it.
        let mut picture = Gray::from_fn(300, 300, |x, y| {
            let one = (148..151).contains(&x) && (100..220).contains(&y);
            let line_end = x < 150 && y < 5;
            image::Luma([if one || line_end { 1.0 } else { 0.0 }])
        });
        clear_strays(&mut picture);
        assert_eq!(picture.get_pixel(149, 160).0[0], 1.0, "the 1 went");
        assert_eq!(picture.get_pixel(50, 2).0[0], 0.0, "the line's end is left");
    }

    #[test]
    fn two_heavy_pieces_far_apart_both_stay() {
        // Two bars as heavy as each other, far apart: not a digit and a speck.
        let mut picture = Gray::from_fn(300, 100, |x, y| {
            let bar = (10..20).contains(&x) || (280..290).contains(&x);
            image::Luma([if bar && (20..80).contains(&y) {
                1.0
            } else {
                0.0
            }])
        });
        let before = picture.clone();
        clear_strays(&mut picture);
        assert_eq!(picture, before);
    }
}
