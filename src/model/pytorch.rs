//! Weights in PyTorch's terms: the tutorial's `nn.Sequential` named `net`, whose
//! state_dict keys are `net.<index>.weight` / `.bias`, read from `.pth` files and
//! written to (and read from) `.safetensors`.
//!
//! The mapping lives here and nowhere else, and it is not a table: `<index>` is the
//! position of the layer in the architecture's list ([`Architecture::plan`]), which
//! holds the layers in the order `nn.Sequential` numbers them. The only conversion is the
//! linear layers' weight, `[out, in]` in PyTorch and `[in, out]` in Burn.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use burn::module::Param;
use burn::store::pytorch_reader::{self, PytorchReader};
use burn::tensor::{Device, Tensor, TensorData};

use super::architecture::Architecture;
use super::layer::LayerKind;
use super::lenet::{LeNet, LeNetConfig};
use crate::data::Normalization;
use crate::read_limit::read_at_most;
use crate::{CheckpointProblem, Error, Result};

/// The prefix the tutorial's model gives every key (`self.net = nn.Sequential(...)`).
pub const PYTORCH_PREFIX: &str = "net.";

/// One learned tensor as PyTorch names and shapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PytorchKey {
    /// e.g. `net.7.weight`.
    pub key: String,
    /// PyTorch's shape, e.g. `[120, 400]`.
    pub shape: Vec<usize>,
}

/// The layers with weights: walk index, kind, PyTorch's weight shape, bias length.
fn weighted_layers(architecture: &Architecture) -> Vec<(usize, LayerKind, Vec<usize>, usize)> {
    architecture
        .plan()
        .into_iter()
        .filter_map(|layer| {
            let shape = layer.weight_shape()?;
            Some((layer.index, layer.spec.kind(), shape.clone(), shape[0]))
        })
        .collect()
}

/// The state_dict keys and shapes of `architecture` as a PyTorch `nn.Sequential`
/// named `net` holds them — read from the layer list, nothing run.
///
/// ```
/// use lenet::Architecture;
/// use lenet::model::pytorch_keys;
///
/// let keys = pytorch_keys(&Architecture::LENET5);
/// assert_eq!(keys[0].key, "net.0.weight");
/// assert_eq!(keys[0].shape, vec![6, 1, 5, 5]);
/// assert_eq!(keys[4].key, "net.7.weight");
/// assert_eq!(keys[4].shape, vec![120, 400]);
/// ```
pub fn pytorch_keys(architecture: &Architecture) -> Vec<PytorchKey> {
    weighted_layers(architecture)
        .into_iter()
        .flat_map(|(index, _, shape, bias)| {
            [
                PytorchKey {
                    key: format!("{PYTORCH_PREFIX}{index}.weight"),
                    shape,
                },
                PytorchKey {
                    key: format!("{PYTORCH_PREFIX}{index}.bias"),
                    shape: vec![bias],
                },
            ]
        })
        .collect()
}

/// Tensors by PyTorch key: shape and f32 values, row-major.
type StateDict = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Tensor shapes by PyTorch key: what a file says it holds, before any value is
/// read.
type Shapes = BTreeMap<String, Vec<usize>>;

fn fail(path: &Path, reason: CheckpointProblem) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        reason,
    }
}

/// `key` as the tutorial's model names it: a bare `nn.Sequential`'s `0.weight`
/// is `net.0.weight` when no key of the file has the prefix.
fn with_prefix(key: &str, bare: bool) -> String {
    if bare {
        format!("{PYTORCH_PREFIX}{key}")
    } else {
        key.to_string()
    }
}

/// Loads a state_dict saved by `torch.save(model.state_dict(), path)` from an
/// `nn.Sequential` named `net` (or a bare one). With `expected`, its keys and
/// shapes must be that architecture's; without, they must be those of a named
/// architecture (`lenet5`, `extra-conv`, `one-conv`), which is recognised from
/// them — the keys alone do not say where the ReLUs and pools of any other
/// spec are.
///
/// Names, element types and shapes are checked against the architecture before
/// any tensor is read, so what is read is exactly its parameters (a file whose
/// views claim more — a stride-0 `expand` of billions of values — is refused
/// unread).
pub fn load_pytorch(
    path: &Path,
    expected: Option<&Architecture>,
    device: &Device,
) -> Result<LeNet> {
    let reader = PytorchReader::new(path).map_err(|e| {
        fail(
            path,
            CheckpointProblem::Unreadable {
                what: "PyTorch checkpoint",
                detail: e.to_string(),
            },
        )
    })?;
    let tensors = reader.tensors();
    let bare = tensors.keys().all(|k| !k.starts_with(PYTORCH_PREFIX));
    let by_key: BTreeMap<String, &pytorch_reader::Tensor> = tensors
        .iter()
        .map(|(name, tensor)| (with_prefix(name, bare), tensor))
        .collect();
    let shapes: Shapes = by_key
        .iter()
        .map(|(key, tensor)| (key.clone(), tensor.shape().to_vec()))
        .collect();
    let architecture = identify(path, &shapes, expected)?;
    let mut state = StateDict::new();
    for key in pytorch_keys(&architecture) {
        let tensor = by_key[&key.key];
        let convert = match tensor.dtype() {
            pytorch_reader::DType::F32 => |b: &[u8]| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            pytorch_reader::DType::F64 => |b: &[u8]| {
                f64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32
            },
            other => {
                return Err(fail(
                    path,
                    CheckpointProblem::UnsupportedType {
                        tensor: key.key,
                        dtype: format!("{other:?}"),
                        supported: "float32/float64",
                    },
                ));
            }
        };
        let bytes = tensor.read().map_err(|e| {
            fail(
                path,
                CheckpointProblem::TensorUnreadable {
                    tensor: key.key.clone(),
                    detail: e.to_string(),
                },
            )
        })?;
        let size = tensor.dtype().size();
        state.insert(key.key, (key.shape, f32s(&bytes, size, convert)));
    }
    build(path, &architecture, &state, device)
}

fn f32s(bytes: &[u8], size: usize, convert: impl Fn(&[u8]) -> f32) -> Vec<f32> {
    bytes.chunks_exact(size).map(convert).collect()
}

/// Which architecture a file's keys and shapes are the weights of: `expected`
/// when they are its, else a named architecture they are exactly.
fn identify(path: &Path, shapes: &Shapes, expected: Option<&Architecture>) -> Result<Architecture> {
    let matches = |arch: &Architecture| {
        let wanted = pytorch_keys(arch);
        wanted.len() == shapes.len()
            && wanted
                .iter()
                .all(|k| shapes.get(&k.key).is_some_and(|s| *s == k.shape))
    };
    let found = Architecture::NAMED.into_iter().find(|a| matches(a));
    match (found, expected) {
        (_, Some(asked)) if matches(asked) => Ok(asked.clone()),
        (Some(found), Some(asked)) => Err(fail(
            path,
            CheckpointProblem::OtherArchitecture {
                found: found.to_string(),
                asked: asked.to_string(),
                by: "its keys and shapes".into(),
            },
        )),
        (Some(found), None) => Ok(found),
        (None, asked) => Err(fail(
            path,
            CheckpointProblem::NotTheArchitecture {
                architecture: asked.map(|a| a.to_string()),
                problems: differences(shapes, asked.unwrap_or(&Architecture::LENET5)),
            },
        )),
    }
}

/// The model `architecture` with the weights of `state`, whose keys and shapes
/// must be the architecture's (checked again here: the file may have changed
/// since [`identify`] read its header).
fn build(
    path: &Path,
    architecture: &Architecture,
    state: &StateDict,
    device: &Device,
) -> Result<LeNet> {
    let tensor = |key: &str, shape: &[usize]| match state.get(key) {
        Some((found, values))
            if found == shape && values.len() == shape.iter().product::<usize>() =>
        {
            Ok(values)
        }
        _ => Err(fail(
            path,
            CheckpointProblem::NotTheArchitecture {
                architecture: Some(architecture.to_string()),
                problems: vec![format!("tensor {key} is not the {shape:?} values it needs")],
            },
        )),
    };
    let mut model = LeNetConfig::new(architecture.clone()).init(device);
    let (mut conv_i, mut linear_i) = (0, 0);
    for (index, kind, shape, bias_len) in weighted_layers(architecture) {
        let weight = tensor(&format!("{PYTORCH_PREFIX}{index}.weight"), &shape)?;
        let bias = tensor(&format!("{PYTORCH_PREFIX}{index}.bias"), &[bias_len])?;
        let bias = Param::from_data(TensorData::new(bias.clone(), [bias.len()]), device);
        match kind {
            LayerKind::Conv2d => {
                let conv = model
                    .convolutions_mut()
                    .nth(conv_i)
                    .expect("plan and model agree");
                conv.weight = Param::from_data(
                    TensorData::new(weight.clone(), [shape[0], shape[1], shape[2], shape[3]]),
                    device,
                );
                conv.bias = Some(bias);
                conv_i += 1;
            }
            LayerKind::Linear => {
                let (out, inp) = (shape[0], shape[1]);
                let linear = model
                    .linears_mut()
                    .nth(linear_i)
                    .expect("plan and model agree");
                linear.weight = Param::from_data(
                    TensorData::new(transpose(weight, out, inp), [inp, out]),
                    device,
                );
                linear.bias = Some(bias);
                linear_i += 1;
            }
            _ => {}
        }
    }
    Ok(model)
}

/// Row-major `[rows, cols]` → `[cols, rows]`.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

/// How `state` differs from `architecture`: each missing key, unexpected key
/// or wrong shape, by name (the first eight, then how many more).
fn differences(state: &Shapes, architecture: &Architecture) -> Vec<String> {
    let wanted = pytorch_keys(architecture);
    let mut problems = Vec::new();
    for key in &wanted {
        match state.get(&key.key) {
            None => problems.push(format!("missing key {}", key.key)),
            Some(shape) if *shape != key.shape => problems.push(format!(
                "{} has shape {:?}, {} needs {:?}",
                key.key, shape, architecture, key.shape
            )),
            Some(_) => {}
        }
    }
    let known: BTreeSet<&str> = wanted.iter().map(|k| k.key.as_str()).collect();
    for key in state.keys().filter(|k| !known.contains(k.as_str())) {
        problems.push(format!("unexpected key {key}"));
    }
    const SHOWN: usize = 8;
    if problems.len() > SHOWN {
        let more = problems.len() - SHOWN;
        problems.truncate(SHOWN);
        problems.push(format!("and {more} more"));
    }
    problems
}

/// The model's weights as a PyTorch state_dict: keys, PyTorch shapes, values.
fn to_state_dict(model: &LeNet) -> StateDict {
    let mut state = StateDict::new();
    let layers = weighted_layers(model.architecture());
    let mut convs = model.convolutions();
    let mut linears = model.linears();
    let values = |t: Tensor<1>| {
        t.into_data()
            .try_into_vec_as::<f32>()
            .expect("float weights")
    };
    for (index, kind, shape, _) in layers {
        let (weight, bias) = match kind {
            LayerKind::Conv2d => {
                let conv = convs.next().expect("walk and model agree");
                let w = conv.weight.val();
                let n = w.shape().num_elements();
                (values(w.reshape([n])), conv.bias.as_ref().map(|b| b.val()))
            }
            LayerKind::Linear => {
                let linear = linears.next().expect("walk and model agree");
                let w = linear.weight.val();
                let [inp, out] = w.dims();
                let flat = values(w.reshape([inp * out]));
                (
                    transpose(&flat, inp, out),
                    linear.bias.as_ref().map(|b| b.val()),
                )
            }
            _ => continue,
        };
        let bias = bias.map(values).unwrap_or_default();
        state.insert(format!("{PYTORCH_PREFIX}{index}.weight"), (shape, weight));
        state.insert(
            format!("{PYTORCH_PREFIX}{index}.bias"),
            (vec![bias.len()], bias),
        );
    }
    state
}

/// The `.safetensors` metadata key holding the training normalisation (JSON).
const NORMALIZATION_KEY: &str = "lenet.normalization";
/// The `.safetensors` metadata key holding the architecture's spec, so that a
/// file of any spec rebuilds itself (the keys alone do not say where the ReLUs
/// and pools are).
const ARCHITECTURE_KEY: &str = "lenet.architecture";

/// `serialized` (a safetensors file without metadata) with `metadata` in its
/// header, in the given order; the header padded with spaces to a multiple of 8
/// bytes as the format's own writer does.
fn with_metadata(
    serialized: &[u8],
    metadata: &[(&str, String)],
) -> std::result::Result<Vec<u8>, String> {
    let length = serialized
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
        .ok_or("no header")?;
    let header = serialized.get(8..8 + length).ok_or("short header")?;
    let data = &serialized[8 + length..];
    let mut header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(header).map_err(|e| e.to_string())?;
    let entries = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
        .collect();
    header.insert("__metadata__".into(), serde_json::Value::Object(entries));
    let mut header = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    header.resize(header.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    Ok(out)
}

impl LeNet {
    /// Writes the weights as `.safetensors` with the tutorial's PyTorch key names and
    /// shapes, so PyTorch loads them back with
    /// `model.load_state_dict(safetensors.torch.load_file(path))`.
    ///
    /// ```
    /// use lenet::{Architecture, LeNet, LeNetConfig};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 1);
    /// let path = std::env::temp_dir().join(format!("lenet-doc-{}.safetensors", std::process::id()));
    /// model.save_safetensors(&path)?;
    /// let back = LeNet::load_safetensors(&path, None, &device)?;
    /// assert_eq!(back.conv_kernels(), model.conv_kernels());
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn save_safetensors(&self, path: &Path) -> Result<()> {
        self.write_safetensors(path, None)
    }

    /// [`save_safetensors`](Self::save_safetensors), also recording in the file's
    /// metadata (`lenet.normalization`) how inputs were normalised in training, so
    /// that the file alone is enough to predict with
    /// ([`SavedModel::load`](crate::SavedModel::load) reads it back).
    ///
    /// ```
    /// use lenet::data::Normalization;
    /// use lenet::{Architecture, LeNetConfig, SavedModel};
    ///
    /// let device = lenet::device("flex")?;
    /// let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 1);
    /// let dir = std::env::temp_dir().join(format!("lenet-doc-norm-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("alone.safetensors");
    /// model.save_safetensors_with(&path, Normalization::MNIST)?;
    /// let saved = SavedModel::load(&path, None, &device)?;
    /// assert_eq!(saved.normalization, Normalization::MNIST);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lenet::Error>(())
    /// ```
    pub fn save_safetensors_with(&self, path: &Path, normalization: Normalization) -> Result<()> {
        self.write_safetensors(path, Some(normalization))
    }

    fn write_safetensors(&self, path: &Path, normalization: Option<Normalization>) -> Result<()> {
        let state = to_state_dict(self);
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = state
            .into_iter()
            .map(|(k, (shape, values))| {
                let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                (k, shape, raw)
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(k, shape, raw)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), raw)
                    .map(|view| (k.clone(), view))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| {
                fail(
                    path,
                    CheckpointProblem::NotWritten {
                        detail: e.to_string(),
                    },
                )
            })?;
        // The metadata goes in afterwards: `serialize` writes a map of several
        // entries in a random order, and the same weights must give the same bytes.
        // The keys name the architecture.
        let serialized = safetensors::serialize(views, None).map_err(|e| {
            fail(
                path,
                CheckpointProblem::NotWritten {
                    detail: e.to_string(),
                },
            )
        })?;
        let mut metadata = vec![
            ("format", "pt".to_string()),
            (ARCHITECTURE_KEY, self.architecture().spec()),
        ];
        if let Some(normalization) = normalization {
            let json = serde_json::to_string(&normalization).expect("plain data serialises");
            metadata.push((NORMALIZATION_KEY, json));
        }
        let bytes = with_metadata(&serialized, &metadata)
            .map_err(|detail| fail(path, CheckpointProblem::NotWritten { detail }))?;
        crate::atomic_file::write_atomic(path, &bytes)
    }

    /// Reads weights written by [`save_safetensors`](Self::save_safetensors) (or by
    /// PyTorch's `safetensors.torch.save_file(model.state_dict(), path)`).
    pub fn load_safetensors(
        path: &Path,
        expected: Option<&Architecture>,
        device: &Device,
    ) -> Result<LeNet> {
        read_safetensors(path, expected, device).map(|(model, _)| model)
    }
}

/// The model in a `.safetensors` file and the training normalisation its
/// metadata records ([`LeNet::save_safetensors_with`]), if any.
///
/// The header is read first (at most [`HEADER_BYTES`]), the architecture found
/// from it (the caller's, the metadata's spec, or a named one its shapes are),
/// every name, type and shape checked, and only then the file read whole — when
/// it is no larger than that architecture's parameters can fill.
pub(crate) fn read_safetensors(
    path: &Path,
    expected: Option<&Architecture>,
    device: &Device,
) -> Result<(LeNet, Option<Normalization>)> {
    let unreadable = |detail: String| {
        fail(
            path,
            CheckpointProblem::Unreadable {
                what: "safetensors file",
                detail,
            },
        )
    };
    let header = read_safetensors_header(path).map_err(unreadable)?;
    let metadata = |key: &str| header.metadata.get(key);
    let recorded = match metadata(ARCHITECTURE_KEY) {
        None => None,
        Some(spec) => Some(spec.parse::<Architecture>().map_err(|e| {
            fail(
                path,
                CheckpointProblem::BadMetadata {
                    key: ARCHITECTURE_KEY,
                    detail: e.to_string(),
                },
            )
        })?),
    };
    let normalization = match metadata(NORMALIZATION_KEY) {
        None => None,
        Some(json) => Some(serde_json::from_str(json).map_err(|e| {
            fail(
                path,
                CheckpointProblem::BadMetadata {
                    key: NORMALIZATION_KEY,
                    detail: e.to_string(),
                },
            )
        })?),
    };
    if let (Some(asked), Some(recorded)) = (expected, &recorded)
        && asked != recorded
    {
        // Keys and shapes alone cannot tell, e.g., a max-pool from an average pool.
        return Err(fail(
            path,
            CheckpointProblem::OtherArchitecture {
                found: recorded.to_string(),
                asked: asked.to_string(),
                by: format!("its {ARCHITECTURE_KEY} metadata"),
            },
        ));
    }
    let bare = header.shapes.keys().all(|k| !k.starts_with(PYTORCH_PREFIX));
    let shapes: Shapes = header
        .shapes
        .iter()
        .map(|(key, shape)| (with_prefix(key, bare), shape.clone()))
        .collect();
    let architecture = identify(path, &shapes, expected.or(recorded.as_ref()))?;
    if let Some((name, dtype)) = header.dtypes.iter().find(|(_, dtype)| *dtype != "F32") {
        return Err(fail(
            path,
            CheckpointProblem::UnsupportedType {
                tensor: name.clone(),
                dtype: dtype.clone(),
                supported: "F32",
            },
        ));
    }
    let limit = super::max_weights_bytes(&architecture, 1);
    let bytes = read_at_most(path, limit, "a weights file of its architecture")?;
    let tensors =
        safetensors::SafeTensors::deserialize(&bytes).map_err(|e| unreadable(e.to_string()))?;
    let mut state = StateDict::new();
    for (name, view) in tensors.tensors() {
        let values = f32s(view.data(), 4, |b| {
            f32::from_le_bytes([b[0], b[1], b[2], b[3]])
        });
        state.insert(with_prefix(&name, bare), (view.shape().to_vec(), values));
    }
    Ok((build(path, &architecture, &state, device)?, normalization))
}

/// Header room a `.safetensors` file may take (names, shapes, metadata): far
/// more than this crate's files need.
const HEADER_BYTES: u64 = 1 << 20;

/// What a `.safetensors` header says, before any tensor is read.
struct SafetensorsHeader {
    shapes: Shapes,
    dtypes: BTreeMap<String, String>,
    metadata: BTreeMap<String, String>,
}

/// The header of the `.safetensors` file at `path`: its first 8 bytes give the
/// JSON header's length (at most [`HEADER_BYTES`]), which is read alone.
fn read_safetensors_header(path: &Path) -> std::result::Result<SafetensorsHeader, String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut length = [0u8; 8];
    file.read_exact(&mut length).map_err(|e| e.to_string())?;
    let length = u64::from_le_bytes(length);
    if length > HEADER_BYTES {
        return Err(format!(
            "its header claims {length} bytes; at most {HEADER_BYTES} are read"
        ));
    }
    let mut json = Vec::with_capacity(length as usize);
    file.take(length)
        .read_to_end(&mut json)
        .map_err(|e| e.to_string())?;
    if json.len() as u64 != length {
        return Err("the header is cut short".into());
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        dtype: String,
        shape: Vec<usize>,
    }
    let mut entries: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&json).map_err(|e| format!("its header: {e}"))?;
    let metadata = match entries.remove("__metadata__") {
        None => BTreeMap::new(),
        Some(value) => serde_json::from_value(value).map_err(|e| format!("its metadata: {e}"))?,
    };
    let mut header = SafetensorsHeader {
        shapes: Shapes::new(),
        dtypes: BTreeMap::new(),
        metadata,
    };
    for (name, value) in entries {
        let entry: Entry =
            serde_json::from_value(value).map_err(|e| format!("tensor {name}: {e}"))?;
        header.dtypes.insert(name.clone(), entry.dtype);
        header.shapes.insert(name, entry.shape);
    }
    Ok(header)
}
