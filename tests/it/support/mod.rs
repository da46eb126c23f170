//! Helpers shared by the integration tests, each written once, each module
//! compiled where a test uses it.

pub mod backends;
pub mod mnist;
pub mod numbers;
pub mod pictures;
pub mod training;

#[cfg(all(feature = "download", any(feature = "report", feature = "explore")))]
pub mod chromium;
#[cfg(all(feature = "download", feature = "explore"))]
pub mod devtools;
#[cfg(feature = "download")]
pub mod examples;
#[cfg(all(feature = "download", feature = "explore"))]
pub mod http;

pub use backends::*;
#[cfg(all(feature = "download", any(feature = "report", feature = "explore")))]
pub use chromium::*;
#[cfg(feature = "download")]
pub use examples::*;
pub use mnist::*;
pub use numbers::*;
pub use pictures::*;
pub use training::*;
