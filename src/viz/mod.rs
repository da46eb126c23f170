//! Pictures: everything that turns numbers into pixels lives here, and nothing
//! below this module knows about pictures. See [`layer_grid`], [`conv_means`]
//! and [`kernel_grid`] for how to read each picture.

mod canvas;
mod charts;
mod colormap;
mod digit_grid;
mod explanations;
mod feature_pictures;
mod plots;
mod png;
mod text;

pub use charts::{
    AccuracyPoint, AccuracyVsCost, Chart, ConfusionHeatmap, RunGroup, TrainingCurves,
};
pub use colormap::{diverging, viridis};
pub use digit_grid::digit_grid;
pub use explanations::explanation_sheet;
pub use feature_pictures::{conv_means, kernel_grid, layer_grid, overview_sheet};
pub use plots::{cost_landscape, line_fit_plot, log_curves};
pub use png::save_png;
pub use text::{draw_text, text_height, text_width};
