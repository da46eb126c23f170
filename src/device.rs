//! Turning a name given on a command line into a Burn [`Device`].
//!
//! Burn 0.22 picks the backend at run time through its `Device`; this module is the
//! one place that knows which backends this build compiled in (cargo features
//! `flex`, `ndarray`, `wgpu`) and what they are called.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use crate::{Error, Result};

/// A backend the user can ask for by name.
///
/// ```
/// use lenet::DeviceChoice;
///
/// let choice: DeviceChoice = "flex".parse()?;
/// assert_eq!(choice, DeviceChoice::Flex);
/// assert!("tpu".parse::<DeviceChoice>().is_err());
/// # Ok::<(), lenet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceChoice {
    /// A GPU through WGPU when this build has it and the machine offers an adapter,
    /// otherwise the fastest CPU backend compiled in.
    Auto,
    /// Burn's Flex CPU backend: SIMD and threads, the fast CPU path.
    Flex,
    /// Burn's NdArray CPU backend (deprecated upstream, about 9× slower to train than Flex).
    NdArray,
    /// A GPU through WGPU (Vulkan, Metal or DX12, whichever the machine has).
    Wgpu,
}

impl DeviceChoice {
    /// Every name, in the order the help text lists them.
    pub const ALL: [DeviceChoice; 4] = [
        DeviceChoice::Auto,
        DeviceChoice::Flex,
        DeviceChoice::NdArray,
        DeviceChoice::Wgpu,
    ];

    /// The name accepted by [`FromStr`] and shown by `Display`.
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Flex => "flex",
            DeviceChoice::NdArray => "ndarray",
            DeviceChoice::Wgpu => "wgpu",
        }
    }

    /// Whether this build can create the device (its cargo feature is on).
    pub fn is_compiled(self) -> bool {
        match self {
            DeviceChoice::Auto => true,
            DeviceChoice::Flex => cfg!(feature = "flex"),
            DeviceChoice::NdArray => cfg!(feature = "ndarray"),
            DeviceChoice::Wgpu => cfg!(feature = "wgpu"),
        }
    }

    /// The names this build accepts.
    pub fn available() -> Vec<DeviceChoice> {
        Self::ALL.into_iter().filter(|d| d.is_compiled()).collect()
    }

    /// The concrete backends this build compiled in (everything but `auto`).
    pub fn compiled_backends() -> Vec<DeviceChoice> {
        Self::available()
            .into_iter()
            .filter(|d| *d != DeviceChoice::Auto)
            .collect()
    }

    /// Creates the device.
    ///
    /// ```
    /// use lenet::DeviceChoice;
    ///
    /// let device = DeviceChoice::Auto.device()?;
    /// let x = burn::tensor::Tensor::<1>::from_floats([1.0, 2.0], &device);
    /// assert_eq!(x.dims(), [2]);
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn device(self) -> Result<Device> {
        match self {
            DeviceChoice::Auto => Ok(auto_device()),
            #[cfg(feature = "flex")]
            DeviceChoice::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // the crate promises NdArray to its users
            DeviceChoice::NdArray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[allow(unreachable_patterns)]
            other => Err(unknown_device(other.name())),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    /// Parses a name, case-insensitively; names whose feature is off are errors
    /// that list what this build has.
    fn from_str(name: &str) -> Result<Self> {
        let wanted = name.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|d| d.name() == wanted && d.is_compiled())
            .ok_or_else(|| unknown_device(name))
    }
}

/// Parses a device name and creates the device in one step.
///
/// ```
/// let device = lenet::device("flex")?;
/// # let _ = device;
/// let err = lenet::device("cuda").unwrap_err();
/// assert!(err.to_string().contains("flex"), "the error lists what is available: {err}");
/// # Ok::<(), lenet::Error>(())
/// ```
pub fn device(name: &str) -> Result<Device> {
    name.parse::<DeviceChoice>()?.device()
}

fn unknown_device(name: &str) -> Error {
    let available: Vec<&str> = DeviceChoice::available()
        .into_iter()
        .map(DeviceChoice::name)
        .collect();
    Error::UnknownDevice {
        name: name.to_string(),
        available: available.join(", "),
    }
}

/// The best device this build and machine offer.
fn auto_device() -> Device {
    #[cfg(feature = "wgpu")]
    if wgpu_adapter_present() {
        return Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
    }
    #[cfg(feature = "flex")]
    return Device::flex();
    #[cfg(all(feature = "ndarray", not(feature = "flex")))]
    #[allow(deprecated)]
    return Device::ndarray();
    #[allow(unreachable_code)]
    Device::default()
}

/// Whether WGPU finds an adapter. Enumeration talks to the driver, which may
/// panic when none is installed; that counts as "no adapter".
#[cfg(feature = "wgpu")]
fn wgpu_adapter_present() -> bool {
    std::panic::catch_unwind(|| {
        !Device::enumerate(burn::tensor::DeviceType::Wgpu)
            .into_vec()
            .is_empty()
    })
    .unwrap_or(false)
}
