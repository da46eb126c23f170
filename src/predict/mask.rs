//! Masks of a picture (one `bool` per pixel, row-major): the operations
//! the clearing steps share — connected pieces, growing, dilation, halving,
//! transposing.

/// A connected piece of a mask (8-neighbours): its pixels' indices and the
/// box holding them (inclusive).
pub(super) struct Piece {
    pub members: Vec<usize>,
    pub left: usize,
    pub top: usize,
    pub right: usize,
    pub bottom: usize,
}

impl Piece {
    /// Width and height of its box.
    pub fn size(&self) -> (usize, usize) {
        (self.right - self.left + 1, self.bottom - self.top + 1)
    }

    /// Which sides of a `w` × `h` picture it touches: left, top, right, bottom.
    pub fn sides(&self, w: usize, h: usize) -> [bool; 4] {
        [
            self.left == 0,
            self.top == 0,
            self.right == w - 1,
            self.bottom == h - 1,
        ]
    }
}

/// The connected pieces of `mask` (`w` × `h`), in the order of their first
/// pixel.
pub(super) fn pieces(mask: &[bool], w: usize, h: usize) -> Vec<Piece> {
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    for seed in 0..w * h {
        if !mask[seed] || seen[seed] {
            continue;
        }
        seen[seed] = true;
        let mut piece = Piece {
            members: Vec::new(),
            left: w,
            top: h,
            right: 0,
            bottom: 0,
        };
        flood(vec![seed], &mut seen, mask, w, h, |i| {
            let (x, y) = (i % w, i / w);
            piece.members.push(i);
            piece.left = piece.left.min(x);
            piece.top = piece.top.min(y);
            piece.right = piece.right.max(x);
            piece.bottom = piece.bottom.max(y);
        });
        out.push(piece);
    }
    out
}

/// `seeds` grown through the 8-neighbours that are `within`.
pub(super) fn grown(mut seeds: Vec<bool>, within: &[bool], w: usize, h: usize) -> Vec<bool> {
    let stack: Vec<usize> = (0..w * h).filter(|&i| seeds[i]).collect();
    flood(stack, &mut seeds, within, w, h, |_| {});
    seeds
}

/// Visits the pixels on `stack` and every pixel `within` joined to them
/// through 8-neighbours that is not yet `reached`, marking it reached.
fn flood(
    mut stack: Vec<usize>,
    reached: &mut [bool],
    within: &[bool],
    w: usize,
    h: usize,
    mut visit: impl FnMut(usize),
) {
    while let Some(i) = stack.pop() {
        visit(i);
        let (x, y) = (i % w, i / w);
        for ny in y.saturating_sub(1)..(y + 2).min(h) {
            for nx in x.saturating_sub(1)..(x + 2).min(w) {
                let n = ny * w + nx;
                if within[n] && !reached[n] {
                    reached[n] = true;
                    stack.push(n);
                }
            }
        }
    }
}

/// `values` (`w` × `h`, row-major) with rows and columns swapped.
pub(super) fn transpose(values: &[bool], w: usize, h: usize) -> Vec<bool> {
    let mut out = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            out[x * h + y] = values[y * w + x];
        }
    }
    out
}

/// `mask` grown by `r` pixels (a square brush): a running count along the
/// rows, then down the columns.
pub(super) fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    if !mask.contains(&true) {
        return mask.to_vec();
    }
    let mut rows = vec![false; w * h];
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        let mut count: usize = row[..r.min(w)].iter().filter(|&&m| m).count();
        for x in 0..w {
            if x + r < w && row[x + r] {
                count += 1;
            }
            if x > r && row[x - r - 1] {
                count -= 1;
            }
            rows[y * w + x] = count > 0;
        }
    }
    let mut out = vec![false; w * h];
    let mut counts = vec![0usize; w];
    for y in 0..r.min(h) {
        for (c, &m) in counts.iter_mut().zip(&rows[y * w..(y + 1) * w]) {
            *c += usize::from(m);
        }
    }
    for y in 0..h {
        if y + r < h {
            for (c, &m) in counts.iter_mut().zip(&rows[(y + r) * w..(y + r + 1) * w]) {
                *c += usize::from(m);
            }
        }
        if y > r {
            for (c, &m) in counts.iter_mut().zip(&rows[(y - r - 1) * w..(y - r) * w]) {
                *c -= usize::from(m);
            }
        }
        for (o, &c) in out[y * w..(y + 1) * w].iter_mut().zip(&counts) {
            *o = c > 0;
        }
    }
    out
}

/// What of `mask` is at least `2r + 1` pixels wide (a square brush): what an
/// erosion by `r` leaves — the dilation of the rest, turned over — grown back
/// by `r`. Beyond the picture's edge counts as set, so along it half the width
/// suffices.
pub(super) fn opened(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let outside: Vec<bool> = mask.iter().map(|&m| !m).collect();
    let core: Vec<bool> = dilate(&outside, w, h, r).iter().map(|&n| !n).collect();
    dilate(&core, w, h, r)
}

/// `mask` at half the resolution: a pixel is set where any of its four is.
pub(super) fn halved(mask: &[bool], w: usize, h: usize) -> (Vec<bool>, usize, usize) {
    let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
    let mut half = vec![false; hw * hh];
    for (i, _) in mask.iter().enumerate().filter(|&(_, &m)| m) {
        half[(i / w / 2) * hw + (i % w) / 2] = true;
    }
    (half, hw, hh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_joined_through_corners_and_boxed() {
        // Two pieces: an L joined diagonally to a dot, and a bar apart.
        let (w, h) = (8, 5);
        let mut mask = vec![false; w * h];
        for i in [0, w, w + 1, 2 * w + 2, 4 * w + 5, 4 * w + 6, 4 * w + 7] {
            mask[i] = true;
        }
        let found = pieces(&mask, w, h);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].members.len(), 4);
        assert_eq!(
            (found[0].left, found[0].top, found[0].size()),
            (0, 0, (3, 3))
        );
        assert_eq!(
            (found[1].left, found[1].top, found[1].size()),
            (5, 4, (3, 1))
        );
    }

    #[test]
    fn an_opening_keeps_what_is_wide_enough_whole() {
        // A bar 5 px wide and a line 2 px wide, apart, in the middle.
        let (w, h) = (30, 20);
        let bar = |x: usize, y: usize| (5..10).contains(&x) && (4..16).contains(&y);
        let line = |x: usize, y: usize| (20..22).contains(&x) && (4..16).contains(&y);
        let mask: Vec<bool> = (0..w * h)
            .map(|i| bar(i % w, i / w) || line(i % w, i / w))
            .collect();
        let bars: Vec<bool> = (0..w * h).map(|i| bar(i % w, i / w)).collect();
        assert_eq!(opened(&mask, w, h, 2), bars);
        assert!(!opened(&mask, w, h, 3).contains(&true));
    }

    #[test]
    fn dilation_is_a_square_brush() {
        let (w, h) = (37, 23);
        let mut mask = vec![false; w * h];
        for i in [3 * w + 3, 10 * w + 36, 22 * w, 0] {
            mask[i] = true;
        }
        for r in [0, 1, 3, 5, 40] {
            let grown = dilate(&mask, w, h, r);
            for y in 0..h {
                for x in 0..w {
                    let near = (y.saturating_sub(r)..(y + r + 1).min(h)).any(|yy| {
                        (x.saturating_sub(r)..(x + r + 1).min(w)).any(|xx| mask[yy * w + xx])
                    });
                    assert_eq!(grown[y * w + x], near, "r {r} at {x},{y}");
                }
            }
        }
    }
}
