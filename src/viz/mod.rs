//! Pictures: everything that turns numbers into pixels lives here, and nothing
//! below this module knows about pictures.

mod digit_grid;
mod png;
mod text;

pub use digit_grid::digit_grid;
pub use png::save_png;
pub use text::{draw_text, text_height, text_width};
