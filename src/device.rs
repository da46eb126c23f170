//! Turning a name given on a command line into a Burn [`Device`].
//!
//! Burn 0.22 picks the backend at run time through its `Device`; this module is the
//! one place that knows which backends this build compiled in (cargo features
//! `flex`, `ndarray`, `wgpu`) and what they are called.
//!
//! GPU devices are opened here, once per process, with Burn's fallible
//! `Device::wgpu_options().init()`: a machine without an adapter gets
//! [`Error::NoGpuAdapter`] naming the CPU alternatives, instead of the panic that
//! Burn's lazy `Device::wgpu` raises at the first tensor operation.

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
    /// A GPU through WGPU (Vulkan, Metal or DX12, whichever the machine has). On a
    /// machine with only a software Vulkan driver (Mesa's lavapipe) this is that driver.
    Wgpu,
    /// WGPU pinned to the Vulkan graphics API: comes up on Vulkan or not at all.
    Vulkan,
}

impl DeviceChoice {
    /// Every name, in the order the help text lists them.
    pub const ALL: [DeviceChoice; 5] = [
        DeviceChoice::Auto,
        DeviceChoice::Flex,
        DeviceChoice::NdArray,
        DeviceChoice::Wgpu,
        DeviceChoice::Vulkan,
    ];

    /// The name accepted by [`FromStr`] and shown by `Display`.
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Flex => "flex",
            DeviceChoice::NdArray => "ndarray",
            DeviceChoice::Wgpu => "wgpu",
            DeviceChoice::Vulkan => "vulkan",
        }
    }

    /// Whether this build can create the device (its cargo feature is on).
    pub fn is_compiled(self) -> bool {
        match self {
            DeviceChoice::Auto => true,
            DeviceChoice::Flex => cfg!(feature = "flex"),
            DeviceChoice::NdArray => cfg!(feature = "ndarray"),
            DeviceChoice::Wgpu | DeviceChoice::Vulkan => cfg!(feature = "wgpu"),
        }
    }

    /// Whether this is a GPU backend (through WGPU).
    pub fn is_gpu(self) -> bool {
        matches!(self, DeviceChoice::Wgpu | DeviceChoice::Vulkan)
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

    /// Creates the device. GPU devices are opened once per process and shared; a
    /// machine without an adapter gets [`Error::NoGpuAdapter`], never a panic.
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
            DeviceChoice::Wgpu | DeviceChoice::Vulkan => gpu::open(self),
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

/// The CPU backends this build has, comma separated (for error messages).
#[cfg(feature = "wgpu")]
fn cpu_alternatives() -> String {
    DeviceChoice::compiled_backends()
        .into_iter()
        .filter(|d| !d.is_gpu())
        .map(DeviceChoice::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A CPU device for work that needs a device but no speed (shapes, small
/// conversions): never Burn's `Device::default()`, which in a `wgpu` build is the
/// GPU and panics on a machine without one.
pub(crate) fn host_device() -> Device {
    #[cfg(feature = "flex")]
    return Device::flex();
    #[cfg(all(feature = "ndarray", not(feature = "flex")))]
    #[allow(deprecated)]
    return Device::ndarray();
    #[allow(unreachable_code)]
    Device::default()
}

/// Whether `device` (with or without autodiff) computes in the host's own memory
/// (Flex, NdArray), where "uploading" a tensor is a copy and reading one back
/// waits for nothing.
pub(crate) fn computes_on_host(device: &Device) -> bool {
    let device = device.clone().without_autodiff();
    #[cfg(feature = "flex")]
    if device == Device::flex() {
        return true;
    }
    #[cfg(feature = "ndarray")]
    #[allow(deprecated)]
    if device == Device::ndarray() {
        return true;
    }
    false
}

/// The best device this build and machine offer: a hardware GPU, else the fastest
/// CPU backend. A software Vulkan driver is not taken: it is ~20× slower than Flex.
fn auto_device() -> Device {
    #[cfg(feature = "wgpu")]
    if let Some(device) = gpu::hardware() {
        return device;
    }
    host_device()
}

/// Opening WGPU devices: once per process, because Burn registers a runtime per
/// adapter selector and refuses to initialise the same one twice.
#[cfg(feature = "wgpu")]
mod gpu {
    use std::sync::OnceLock;

    use burn::tensor::wgpu::{WgpuBackend, WgpuInitError};
    use burn::tensor::{Device, DeviceKind};

    use super::{DeviceChoice, cpu_alternatives};
    use crate::{Error, Result};

    type Opened = std::result::Result<Device, String>;

    static WGPU: OnceLock<Opened> = OnceLock::new();
    static VULKAN: OnceLock<Opened> = OnceLock::new();

    pub(super) fn open(choice: DeviceChoice) -> Result<Device> {
        let (cell, api) = match choice {
            DeviceChoice::Vulkan => (&VULKAN, WgpuBackend::Vulkan),
            _ => (&WGPU, WgpuBackend::Auto),
        };
        cell.get_or_init(|| init(api))
            .clone()
            .map_err(|reason| Error::NoGpuAdapter {
                name: choice.name().to_string(),
                reason,
                cpu_alternatives: cpu_alternatives(),
            })
    }

    /// WGPU's default adapter when it is a real card (`identity().physical` is
    /// `None` for software rasterisers such as lavapipe).
    pub(super) fn hardware() -> Option<Device> {
        let device = open(DeviceChoice::Wgpu).ok()?;
        let identity = device.identity()?;
        identity.physical.is_some().then_some(device)
    }

    fn init(api: WgpuBackend) -> Opened {
        // Drivers have been seen to panic while being probed; that is "no adapter" too.
        let attempt = std::panic::catch_unwind(|| {
            match Device::wgpu_options().graphics_api(api).init() {
                Ok(device) => Ok(device),
                // Something (Burn's own `Device::default()`, say) already opened the
                // default adapter: it exists, and this handle reaches it.
                Err(WgpuInitError::Registration { .. }) if api == WgpuBackend::Auto => {
                    Ok(Device::wgpu(DeviceKind::DefaultDevice))
                }
                Err(e) => Err(e.to_string()),
            }
        });
        attempt
            .unwrap_or_else(|_| Err("the WGPU driver panicked while looking for an adapter".into()))
    }
}
