//! Files from elsewhere are checked before they are believed: a tiny `.pth`
//! whose views claim billions of values, weights larger than their
//! architecture, and an architecture in a file that would make every request
//! huge are refused with a clear error, without the memory they claim.

use crate::support;

use std::path::Path;

use lenet::{Architecture, Error, LeNetConfig, SavedModel};

/// A legacy-format `torch.save` file (PyTorch 0.1.10–1.5: five pickles, then
/// the storages' bytes), written by hand: every tensor of `tensors` is a view
/// of one float of storage `0` with the given shape and stride 0 — what
/// `torch.zeros(1).expand(shape)` saves.
fn stride_zero_pth(tensors: &[(&str, &[i32])]) -> Vec<u8> {
    fn unicode(out: &mut Vec<u8>, text: &str) {
        out.push(b'X'); // BINUNICODE
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    fn int(out: &mut Vec<u8>, value: i32) {
        out.push(b'J'); // BININT
        out.extend_from_slice(&value.to_le_bytes());
    }
    let mut file = Vec::new();
    // The magic number 0x1950a86a20f9469cfc6c, protocol 1001, system info.
    file.extend_from_slice(b"\x80\x02\x8a\x0a");
    file.extend_from_slice(&[0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
    file.push(b'.');
    file.extend_from_slice(b"\x80\x02M\xe9\x03.");
    file.extend_from_slice(b"\x80\x02}");
    unicode(&mut file, "little_endian");
    file.extend_from_slice(b"\x88s.");
    // The state_dict.
    file.extend_from_slice(b"\x80\x02}");
    for (name, shape) in tensors {
        unicode(&mut file, name);
        file.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n(");
        file.push(b'(');
        unicode(&mut file, "storage");
        file.extend_from_slice(b"ctorch\nFloatStorage\n");
        unicode(&mut file, "0");
        unicode(&mut file, "cpu");
        file.extend_from_slice(b"K\x01tQ"); // 1 element; the persistent id
        file.extend_from_slice(b"K\x00("); // offset 0, then the shape
        for &d in *shape {
            int(&mut file, d);
        }
        file.extend_from_slice(b"t(");
        for _ in *shape {
            int(&mut file, 0); // stride 0: every element is the storage's one
        }
        file.extend_from_slice(b"t\x89ccollections\nOrderedDict\n)RtR");
        file.push(b's');
    }
    file.push(b'.');
    // The storage keys, then storage 0: its element count and its one float.
    file.extend_from_slice(b"\x80\x02]");
    unicode(&mut file, "0");
    file.extend_from_slice(b"a.");
    file.extend_from_slice(&1u64.to_le_bytes());
    file.extend_from_slice(&0.5f32.to_le_bytes());
    file
}

/// LeNet5's keys, with `net.7.weight` (fc1) and two more claiming 40,000² floats
/// each: 19 GB of views in a file of a few hundred bytes.
fn bomb(dir: &Path) -> std::path::PathBuf {
    let huge: &[i32] = &[40_000, 40_000];
    let mut tensors: Vec<(String, Vec<i32>)> = lenet::model::pytorch_keys(&Architecture::LENET5)
        .into_iter()
        .map(|k| {
            let shape = k.shape.iter().map(|&d| d as i32).collect();
            (k.key, shape)
        })
        .collect();
    tensors[4].1 = huge.to_vec();
    tensors.push(("net.99.weight".into(), huge.to_vec()));
    tensors.push(("extra".into(), huge.to_vec()));
    let borrowed: Vec<(&str, &[i32])> = tensors
        .iter()
        .map(|(k, s)| (k.as_str(), s.as_slice()))
        .collect();
    let path = dir.join("expand.pth");
    std::fs::write(&path, stride_zero_pth(&borrowed)).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 2_000);
    path
}

#[test]
fn a_stride_zero_pth_claiming_billions_of_floats_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = bomb(dir.path());
    let device = support::device();
    for asked in [None, Some(Architecture::LENET5)] {
        let started = std::time::Instant::now();
        let error = SavedModel::load(&path, asked.clone(), &device).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, Error::Checkpoint { .. }), "{message}");
        assert!(
            message.contains("net.7.weight has shape [40000, 40000]"),
            "{message}"
        );
        assert!(message.contains("unexpected key"), "{message}");
        assert!(started.elapsed().as_secs() < 5, "refused at once");
    }
}

/// The same file through `evaluate`, as a user would give it: one clear line,
/// and the process never holds the memory the file claims.
#[cfg(all(feature = "download", feature = "report", target_os = "linux"))]
#[test]
fn evaluate_refuses_the_stride_zero_pth_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = bomb(dir.path());
    let data = dir.path().join("mnist");
    std::fs::create_dir(&data).unwrap();
    support::write_synthetic_mnist(&data, 4, 4);
    let args = [
        "--checkpoint",
        path.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--device",
        "flex",
    ];
    let (output, peak) = support::run_example_measured("evaluate", &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("expand.pth") && stderr.contains("[40000, 40000]"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(peak < 500 << 20, "evaluate held {} MB", peak >> 20);
}

#[test]
fn weights_larger_than_their_architecture_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let device = support::device();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 1);
    let bpk = dir.path().join("model.bpk");
    model.save(&bpk).unwrap();
    // Grown past what LeNet5's 61,706 parameters can fill, even as f64.
    let file = std::fs::OpenOptions::new().append(true).open(&bpk).unwrap();
    file.set_len(3 << 20).unwrap();
    let config = LeNetConfig::new(Architecture::LENET5);
    let error = lenet::LeNet::load(&config, &bpk, &device).unwrap_err();
    assert!(matches!(error, Error::FileTooLarge { .. }), "{error}");

    // A .safetensors whose header claims a gigabyte is refused from its first 8 bytes.
    let st = dir.path().join("model.safetensors");
    let mut bytes = (1u64 << 30).to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    std::fs::write(&st, bytes).unwrap();
    let error = SavedModel::load(&st, None, &device).unwrap_err();
    assert!(error.to_string().contains("header claims"), "{error}");
}

/// A config.json from elsewhere naming a network of two hundred layers, or a
/// spec of kilobytes, or a megabyte of text, is refused with a clear error.
#[test]
fn an_oversized_architecture_in_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let device = support::device();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 1);
    model.save(&dir.path().join("model.bpk")).unwrap();
    let config = lenet::train::Recipe::Tutorial.config(Architecture::LENET5);
    for (relus, says) in [
        (200, "at most 100 are allowed"),
        (1_000, "at most 4096 are read"),
    ] {
        let spec = format!("conv4k3-{}fc10", "relu-".repeat(relus));
        let json = config
            .to_string()
            .replace("\"lenet5\"", &format!("\"{spec}\""));
        assert!(
            json.contains(&spec),
            "the architecture is written as its name"
        );
        std::fs::write(dir.path().join("config.json"), json).unwrap();
        let error = SavedModel::load(&dir.path().join("model.bpk"), None, &device).unwrap_err();
        assert!(
            error.full_message().contains(says),
            "{}",
            error.full_message()
        );
        assert!(
            error.full_message().len() < 6_000,
            "{}",
            error.full_message()
        );
    }

    let padded = format!("{}{}", config, " ".repeat(2 << 20));
    std::fs::write(dir.path().join("config.json"), padded).unwrap();
    let error = SavedModel::load(&dir.path().join("model.bpk"), None, &device).unwrap_err();
    assert!(matches!(error, Error::FileTooLarge { .. }), "{error}");
}
