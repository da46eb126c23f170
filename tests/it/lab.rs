//! The lab against a real server on 127.0.0.1: a spec checked as typed, two
//! specs × two seeds trained for a short epoch with their event streams read to
//! the end, results equal to `evaluate` on each run's files, a comparison with
//! p-values, the weights and a PyTorch script to take away, stop and resume
//! giving the weights of a run never stopped, the token required; and the
//! server killed mid-run, restarted, finding every run and resuming exactly.

use crate::support;
use crate::support::http::{ExploreProcess, events, request};

use std::path::Path;

use lenet::data::{Mnist, MnistSplit, Normalization};
use lenet::explore::{App, Lab, LabLimits, LabOptions, NamedModel, ServeOptions};
use lenet::{Architecture, LeNetConfig, SavedModel};
use serde_json::{Value, json};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A server with a lab over `runs`, trained on `data`, with [`TOKEN`].
fn serve_lab(runs: &Path, data: Mnist) -> String {
    let device = support::device();
    let model = LeNetConfig::new(Architecture::LENET5).init_seeded(&device, 0);
    let app = App::new(
        vec![NamedModel::new(
            "untrained",
            SavedModel::new(model, Normalization::None),
        )],
        Some(data.test.clone()),
    )
    .unwrap();
    let lab = Lab::open(
        LabOptions {
            runs: runs.to_path_buf(),
            data_dir: runs.join("no-such-data"),
            device: device.clone(),
            device_name: "flex".into(),
            limits: LabLimits::default(),
        },
        data,
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let options = ServeOptions {
        token: Some(TOKEN.into()),
        ..ServeOptions::default()
    };
    std::thread::spawn(move || lenet::explore::serve(listener, app.with_lab(lab), options));
    address
}

fn call(address: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let (head, bytes) = match &body {
        Some(body) => (
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json"
            ),
            serde_json::to_vec(body).unwrap(),
        ),
        None => (
            format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}"),
            Vec::new(),
        ),
    };
    let answer = request(address, &head, &bytes);
    (
        answer.status,
        serde_json::from_slice(&answer.body).unwrap_or(Value::Null),
    )
}

/// A run's events until it ends.
fn run_events(address: &str, id: &str) -> Vec<(String, Value)> {
    events(
        address,
        &format!("/api/runs/{id}/events"),
        &format!("Authorization: Bearer {TOKEN}"),
        &["done", "stopped", "failed"],
    )
}

/// `GET /api/compare` of these runs, in this order.
fn compare<S: AsRef<str>>(address: &str, runs: &[S]) -> (u16, Value) {
    let runs: Vec<&str> = runs.iter().map(AsRef::as_ref).collect();
    call(
        address,
        "GET",
        &format!("/api/compare?runs={}", runs.join(",")),
        None,
    )
}

/// The names of a comparison's rows, in order.
fn model_names(compared: &Value) -> Vec<&str> {
    compared["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

fn ids(answer: &Value) -> Vec<String> {
    answer["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_lab_checks_trains_streams_compares_and_exports() {
    let runs = tempfile::tempdir().unwrap();
    let data = support::learnable_mnist(320, 200);
    let test = data.test.clone();
    let address = serve_lab(runs.path(), data);

    // A spec, checked as typed.
    let (status, spec) = call(
        &address,
        "GET",
        "/api/spec?spec=conv4k3p1-relu-pool-fc10",
        None,
    );
    assert_eq!(status, 200, "{spec}");
    assert_eq!(spec["params"], 4 * 9 + 4 + 4 * 14 * 14 * 10 + 10);
    assert_eq!(spec["layers"][0]["output_shape"], json!([4, 28, 28]));
    assert_eq!(spec["layers"][2]["receptive_field"]["size"], 4);
    let (status, bad) = call(
        &address,
        "GET",
        "/api/spec?spec=conv4k3-relu-poool-fc10",
        None,
    );
    assert_eq!(status, 400);
    assert_eq!(
        (bad["position"].clone(), bad["token"].clone()),
        (json!(3), json!("poool"))
    );
    assert!(bad["error"].as_str().unwrap().contains("poool"));

    // Acting needs the token.
    let plain = request(
        &address,
        &format!("POST /api/runs HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json"),
        br#"{"spec": "fc10", "seeds": [0]}"#,
    );
    assert_eq!(plain.status, 401);
    let wrong = request(
        &address,
        &format!("GET /api/runs HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer nope"),
        &[],
    );
    assert_eq!(wrong.status, 401);

    // Two specs × two seeds, one short epoch each.
    let mut started = Vec::new();
    for spec in ["conv4k3p1-relu-pool-fc10", "conv8k5p2-relu-pool-fc10"] {
        let (status, answer) = call(
            &address,
            "POST",
            "/api/runs",
            Some(json!({"spec": spec, "epochs": 1, "seeds": [0, 1], "limit": 320})),
        );
        assert_eq!(status, 202, "{answer}");
        started.extend(ids(&answer));
    }
    assert_eq!(started.len(), 4);
    for id in &started {
        let stream = run_events(&address, id);
        let names: Vec<&str> = stream.iter().map(|(n, _)| n.as_str()).collect();
        let step = names
            .iter()
            .position(|n| *n == "step")
            .expect("a step event");
        let done = names.iter().position(|n| *n == "done").expect("done");
        assert!(step < done && names.contains(&"epoch"), "{id}: {names:?}");
    }
    let (status, listed) = call(&address, "GET", "/api/runs", None);
    assert_eq!(status, 200);
    let listed = listed["runs"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 4);
    for run in &listed {
        assert_eq!(run["state"], "done", "{run}");
        // The run's files, as train_mnist writes them, evaluate to its figure.
        let dir = runs.path().join(run["id"].as_str().unwrap());
        let saved = SavedModel::load(&dir.join("model.bpk"), None, &support::device()).unwrap();
        let evaluation = lenet::evaluate(&saved.model, &test, saved.normalization, 100);
        assert_eq!(
            run["test_accuracy"].as_f64().unwrap(),
            evaluation.accuracy,
            "{run}"
        );
        for file in [
            "model.safetensors",
            "config.json",
            "history.json",
            "history.csv",
            "metrics.json",
        ] {
            assert!(dir.join(file).is_file(), "{file}");
        }
    }

    // Compared: Welch's test over the two seeds of each spec.
    let (status, compared) = compare(&address, &started);
    assert_eq!(status, 200, "{compared}");
    assert_eq!(compared["models"].as_array().unwrap().len(), 2);
    assert_eq!(compared["models"][0]["seeds"], json!([0, 1]));
    let pair = &compared["pairs"][0];
    let p = pair["p_value"].as_f64().unwrap();
    assert!(
        (0.0..=1.0).contains(&p) && pair["test"] == "welch",
        "{pair}"
    );
    assert!(pair["verdict"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(
        compared["models"][0]["name"], "conv4k3p1-relu-pool-fc10",
        "a spec trained one way is named by its spec"
    );

    // One spec trained longer is another experiment, not a third seed.
    let (status, answer) = call(
        &address,
        "POST",
        "/api/runs",
        Some(json!({"spec": "conv4k3p1-relu-pool-fc10", "epochs": 2, "seeds": [0], "limit": 320})),
    );
    assert_eq!(status, 202, "{answer}");
    let longer = ids(&answer).remove(0);
    assert!(
        run_events(&address, &longer)
            .iter()
            .any(|(n, _)| n == "done")
    );
    let (status, compared) = compare(&address, &[&started[0], &started[1], &longer]);
    assert_eq!(status, 200, "{compared}");
    let names = model_names(&compared);
    assert_eq!(
        names,
        [
            "conv4k3p1-relu-pool-fc10 (tutorial, 1 epoch, first 320 images)",
            "conv4k3p1-relu-pool-fc10 (tutorial, 2 epochs, first 320 images)"
        ]
    );
    assert_eq!(compared["models"][0]["seeds"], json!([0, 1]));
    assert_eq!(compared["models"][1]["epochs"], 2);
    assert_eq!(compared["pairs"][0]["b"], names[1]);
    assert_eq!(
        compared["pairs"][0]["test"], "mcnemar",
        "one seed on a side"
    );
    // In another order, with another spec among them: the order first ticked,
    // the other spec named by its spec alone.
    let (status, compared) = compare(&address, &[&longer, &started[2], &started[1], &started[0]]);
    assert_eq!(status, 200, "{compared}");
    let names = model_names(&compared);
    assert_eq!(
        names,
        [
            "conv4k3p1-relu-pool-fc10 (tutorial, 2 epochs, first 320 images)",
            "conv8k5p2-relu-pool-fc10",
            "conv4k3p1-relu-pool-fc10 (tutorial, 1 epoch, first 320 images)",
        ]
    );
    assert_eq!(compared["pairs"].as_array().unwrap().len(), 3);
    // Without the longer run ticked, the spec is still named by its settings:
    // the table names experiments among all the runs, as the legend does.
    let (status, compared) = compare(&address, &[&started[0], &started[2]]);
    assert_eq!(status, 200, "{compared}");
    assert_eq!(model_names(&compared), [names[2], names[1]]);
    // The runs list says which runs are one experiment, as the page draws them.
    let (_, listed) = call(&address, "GET", "/api/runs", None);
    let of = |id: &str, field: &str| {
        listed["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()[field]
            .clone()
    };
    let experiment = |id: &str| of(id, "experiment");
    assert_eq!(experiment(&started[0]), experiment(&started[1]));
    assert_ne!(experiment(&started[0]), experiment(&longer));
    assert_ne!(experiment(&started[0]), experiment(&started[2]));
    // ... and names each as the comparison does, among all the runs.
    let name = |id: &str| of(id, "experiment_name");
    assert_eq!(name(&started[1]), names[2]);
    assert_eq!(name(&longer), names[0]);
    assert_eq!(name(&started[2]), names[1]);
    // A run listed twice would count as two seeds.
    let (status, refused) = compare(&address, &[&started[0], &started[2], &started[0]]);
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("twice"),
        "{refused}"
    );
    // Seeds of one experiment alone: nothing to compare.
    let (status, refused) = compare(&address, &started[..2]);
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("seeds of one spec")
    );

    // Taken away: the weights as written, and a PyTorch script.
    let weights = request(
        &address,
        &format!(
            "GET /api/runs/{}/model.safetensors HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}",
            started[0]
        ),
        &[],
    );
    assert_eq!(weights.status, 200);
    assert_eq!(
        weights.body,
        std::fs::read(runs.path().join(&started[0]).join("model.safetensors")).unwrap()
    );
    let script = request(
        &address,
        &format!(
            "GET /api/runs/{}/pytorch.py HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}",
            started[0]
        ),
        &[],
    );
    let script = String::from_utf8(script.body).unwrap();
    assert!(script.contains("def parse(spec)") && script.contains("conv4k3p1-relu-pool-fc10"));

    // A run is a column of the explorer, beside the app's model.
    let (status, models) = call(
        &address,
        "GET",
        &format!("/api/models?runs={}", started[2]),
        None,
    );
    assert_eq!(status, 200, "{models}");
    assert_eq!(models["models"].as_array().unwrap().len(), 2);
    assert_eq!(models["models"][1]["name"], started[2].as_str());

    // Ids never name a path outside the runs; deleting removes the directory.
    assert_eq!(call(&address, "DELETE", "/api/runs/..", None).0, 400);
    assert_eq!(call(&address, "DELETE", "/api/runs/nope", None).0, 404);
    assert_eq!(
        call(
            &address,
            "DELETE",
            &format!("/api/runs/{}", started[3]),
            None
        )
        .0,
        200
    );
    assert!(!runs.path().join(&started[3]).exists());
}

/// Stopped mid-run and resumed, a run ends with exactly the weights of the
/// same run never stopped.
#[test]
fn stop_and_resume_give_the_weights_of_a_run_never_stopped() {
    let runs = tempfile::tempdir().unwrap();
    let address = serve_lab(runs.path(), support::learnable_mnist(6_400, 100));
    let request_run = || {
        let (status, answer) = call(
            &address,
            "POST",
            "/api/runs",
            Some(json!({"spec": "lenet5", "epochs": 6, "seeds": [3]})),
        );
        assert_eq!(status, 202, "{answer}");
        ids(&answer).remove(0)
    };
    let stopped = request_run();
    // Stop it once it has trained a little (its first reported step).
    let first = events(
        &address,
        &format!("/api/runs/{stopped}/events"),
        &format!("Authorization: Bearer {TOKEN}"),
        &["step", "done"],
    );
    assert_eq!(
        first.last().unwrap().0,
        "step",
        "it trains for more than a step"
    );
    assert_eq!(
        call(&address, "POST", &format!("/api/runs/{stopped}/stop"), None).0,
        200
    );
    let ended = run_events(&address, &stopped);
    assert_eq!(ended.last().unwrap().0, "stopped");
    let (_, listed) = call(&address, "GET", "/api/runs", None);
    let run = &listed["runs"][0];
    assert_eq!(run["state"], "stopped", "{run}");
    let (status, resumed) = call(
        &address,
        "POST",
        &format!("/api/runs/{stopped}/resume"),
        None,
    );
    assert_eq!(status, 202, "{resumed}");
    assert_eq!(run_events(&address, &stopped).last().unwrap().0, "done");

    let whole = request_run();
    assert_eq!(run_events(&address, &whole).last().unwrap().0, "done");
    let weights = |id: &str| std::fs::read(runs.path().join(id).join("model.safetensors")).unwrap();
    assert!(
        weights(&stopped) == weights(&whole),
        "the same weights, bit for bit"
    );
}

/// `explore` killed with SIGKILL while a run trains: restarted on the same
/// runs, it lists every run, shows that one interrupted, and resuming it ends
/// with the weights of a run never interrupted. A run `train_mnist --out`
/// wrote into the directory shows up too.
#[test]
fn a_killed_server_restarts_with_every_run_and_resumes_exactly() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("mnist");
    std::fs::create_dir(&data).unwrap();
    support::write_synthetic_mnist(&data, 3_200, 40);
    let runs = work.path().join("runs");
    let cli_run = runs.join("from-the-command-line");
    let trained = support::run_example(
        "train_mnist",
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--out",
            cli_run.to_str().unwrap(),
            "--epochs",
            "1",
            "--limit",
            "320",
            "--device",
            "flex",
        ],
    );
    assert!(
        trained.status.success(),
        "{}",
        String::from_utf8_lossy(&trained.stderr)
    );
    let checkpoint = cli_run.join("model.bpk");
    let args = [
        "--runs",
        runs.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
    ];
    let bearer = |server: &ExploreProcess| format!("Authorization: Bearer {}", server.token);
    let post = |server: &ExploreProcess, path: &str, body: &[u8]| {
        request(
            &server.address,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\n{}\r\nContent-Type: application/json",
                server.address,
                bearer(server)
            ),
            body,
        )
    };
    let start = br#"{"spec": "lenet5", "epochs": 3, "seeds": [5]}"#;

    let server = ExploreProcess::with_args(&args);
    let answer = post(&server, "/api/runs", start);
    assert_eq!(answer.status, 202);
    let id = ids(&answer.json()).remove(0);
    // Killed once the first epoch is done and its checkpoint written (just
    // after the epoch's event).
    let first = events(
        &server.address,
        &format!("/api/runs/{id}/events"),
        &bearer(&server),
        &["epoch", "done"],
    );
    assert_eq!(first.last().unwrap().0, "epoch");
    let latest = runs.join(&id).join("checkpoints/latest");
    let waited = std::time::Instant::now();
    while !latest.is_file() && waited.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(server); // SIGKILL

    let server = ExploreProcess::with_args(&args);
    let listed = request(
        &server.address,
        &format!(
            "GET /api/runs HTTP/1.1\r\nHost: {}\r\n{}",
            server.address,
            bearer(&server)
        ),
        &[],
    )
    .json();
    let state = |id: &str| {
        listed["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| (r["state"].clone(), r["epochs_done"].clone()))
    };
    assert_eq!(
        state("from-the-command-line").unwrap().0,
        "done",
        "{listed}"
    );
    let (interrupted, epochs_done) = state(&id).expect("the run is listed");
    assert_eq!(interrupted, "interrupted", "{listed}");
    assert!(epochs_done.as_u64().unwrap() >= 1, "{listed}");
    assert_eq!(
        post(&server, &format!("/api/runs/{id}/resume"), b"").status,
        202
    );
    let resumed = events(
        &server.address,
        &format!("/api/runs/{id}/events"),
        &bearer(&server),
        &["done", "failed"],
    );
    assert_eq!(resumed.last().unwrap().0, "done", "{resumed:?}");
    let answer = post(&server, "/api/runs", start);
    let whole = ids(&answer.json()).remove(0);
    let ended = events(
        &server.address,
        &format!("/api/runs/{whole}/events"),
        &bearer(&server),
        &["done", "failed"],
    );
    assert_eq!(ended.last().unwrap().0, "done");
    let weights = |id: &str| std::fs::read(runs.join(id).join("model.safetensors")).unwrap();
    assert!(weights(&id) == weights(&whole), "resumed exactly");
}

/// The PyTorch script of a run, run under PyTorch, gives `predict`'s
/// probabilities within 1e-4 for a 28×28 MNIST picture (where Python has
/// PyTorch; skipped, with the reason, where not).
#[test]
fn the_exported_pytorch_script_agrees_with_predict() {
    let test = "the_exported_pytorch_script_agrees_with_predict";
    let has_torch = std::process::Command::new("python3")
        .args(["-c", "import torch, PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_torch {
        eprintln!("SKIPPED {test}: python3 has no torch and Pillow (pip install torch pillow)");
        return;
    }
    let runs = tempfile::tempdir().unwrap();
    let data = support::learnable_mnist(640, 50);
    let test_split: MnistSplit = data.test.clone();
    let address = serve_lab(runs.path(), data);
    let (_, answer) = call(
        &address,
        "POST",
        "/api/runs",
        Some(
            json!({"spec": "conv6k5p2-relu-pool-fc32-relu-fc10", "epochs": 1, "seeds": [0], "recipe": "improved"}),
        ),
    );
    let id = ids(&answer).remove(0);
    assert_eq!(run_events(&address, &id).last().unwrap().0, "done");
    let dir = runs.path().join(&id);
    let script = request(
        &address,
        &format!(
            "GET /api/runs/{id}/pytorch.py HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}"
        ),
        &[],
    );
    std::fs::write(dir.join("pytorch.py"), &script.body).unwrap();
    let saved = SavedModel::load(&dir.join("model.safetensors"), None, &support::device()).unwrap();
    for index in 0..5 {
        let png = dir.join(format!("digit{index}.png"));
        image::GrayImage::from_raw(28, 28, test_split.image(index).to_vec())
            .unwrap()
            .save(&png)
            .unwrap();
        let digit = lenet::predict::prepare_image_file(&png, &Default::default()).unwrap();
        let expected = lenet::predict::predict(&saved, &digit);
        let out = std::process::Command::new("python3")
            .arg(dir.join("pytorch.py"))
            .arg(&png)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: Vec<f32> = got["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap() as f32)
            .collect();
        support::assert_close(
            &format!("digit {index}"),
            &expected.probabilities,
            &got,
            1e-4,
        );
    }
}

/// The lab as a person uses it, in headless Chromium: types a spec and sees its
/// summary, a bad token marked; trains two specs for a few hundred images and
/// sees their curves and `done`; compares them; opens one in the explorer and
/// draws a digit through it.
#[test]
fn a_person_does_the_loop_in_headless_chromium() {
    let test = "a_person_does_the_loop_in_headless_chromium";
    let Some(binary) = support::chromium(test) else {
        return;
    };
    let runs = tempfile::tempdir().unwrap();
    let address = serve_lab(runs.path(), support::learnable_mnist(640, 200));
    let profile = tempfile::tempdir().unwrap();
    let mut browser = support::devtools::Browser::launch(&binary, profile.path());
    browser.navigate(&format!("http://{address}/?token={TOKEN}"));
    let wait = |browser: &mut support::devtools::Browser, what: &str, expression: &str| {
        assert!(
            browser.wait_for(expression, std::time::Duration::from_secs(90)),
            "{what}: {:?}",
            browser.eval("document.getElementById('lab').innerText + ' | ' + document.getElementById('status').innerText")
        );
    };
    wait(
        &mut browser,
        "the lab is shown",
        "!document.getElementById('lab').hidden && document.querySelector('#runs tr') !== null",
    );
    // Typing a spec: first a wrong token, then a network.
    let type_spec = |browser: &mut support::devtools::Browser, spec: &str| {
        browser.eval(&format!(
            "(() => {{ const s = document.getElementById('spec'); s.value = {spec:?}; s.dispatchEvent(new Event('input')); }})()"
        ));
    };
    type_spec(&mut browser, "conv4k3p1-relu-poool-fc10");
    wait(
        &mut browser,
        "the bad token is marked",
        "document.querySelector('.bad-token')?.textContent === 'poool'",
    );
    for spec in ["conv4k3p1-relu-pool-fc10", "conv6k5p2-relu-pool-fc10"] {
        type_spec(&mut browser, spec);
        wait(
            &mut browser,
            "the summary",
            "document.querySelector('.spec-ok') !== null && !document.querySelector('.bad-token')",
        );
        let summary = browser.eval("document.getElementById('spec-summary').innerText");
        assert!(
            summary.as_str().unwrap().contains("parameters"),
            "{summary}"
        );
        browser.eval(
            "(() => { document.getElementById('epochs').value = 1; document.getElementById('seeds').value = '0'; \
              document.getElementById('limit').value = 320; document.getElementById('train').click(); })()",
        );
        wait(
            &mut browser,
            "the run is queued",
            &format!("lab.runs.some(r => r.spec === {spec:?})"),
        );
    }
    wait(
        &mut browser,
        "both runs done",
        "lab.runs.length === 2 && lab.runs.every(r => r.state === 'done')",
    );
    wait(
        &mut browser,
        "curves drawn",
        "document.querySelectorAll('#accuracy-chart polyline').length === 2 && document.querySelectorAll('#loss-chart polyline').length >= 2",
    );
    wait(
        &mut browser,
        "the legend names each experiment as the server does",
        "lab.runs.every(r => typeof r.experiment_name === 'string' && r.experiment_name.length > 0 \
           && document.getElementById('legend').innerText.includes(r.experiment_name))",
    );
    // Compared.
    browser.eval("document.querySelectorAll('#runs input[type=checkbox]').forEach(c => { c.checked = true; c.dispatchEvent(new Event('change')); })");
    browser.eval("document.getElementById('compare').click()");
    wait(
        &mut browser,
        "a comparison",
        "document.querySelector('.verdict') !== null",
    );
    // Opened in the explorer, and a digit drawn through it.
    browser.eval("document.querySelector('#runs button[data-act=open]').click()");
    wait(
        &mut browser,
        "a second column",
        "document.querySelectorAll('.model').length === 2",
    );
    browser.eval("document.getElementById('clear').click()");
    let pad =
        browser.eval("JSON.stringify(document.getElementById('pad').getBoundingClientRect())");
    let pad: Value = serde_json::from_str(pad.as_str().unwrap()).unwrap();
    let (left, top, side) = (
        pad["left"].as_f64().unwrap(),
        pad["top"].as_f64().unwrap(),
        pad["width"].as_f64().unwrap(),
    );
    let stroke: Vec<(f64, f64)> = (0..=20)
        .map(|i| {
            (
                left + 0.5 * side,
                top + (0.15 + 0.7 * i as f64 / 20.0) * side,
            )
        })
        .collect();
    browser.stroke(&stroke);
    wait(
        &mut browser,
        "both columns answer",
        "!encoding && !inFlight && !pending && document.querySelectorAll('.predicted').length === 2",
    );
    // LENET_LAB_SCREENSHOT=FILE.png keeps a picture of the page (docs/EXPLORE.md's).
    if let Some(path) = std::env::var_os("LENET_LAB_SCREENSHOT") {
        browser.eval("document.getElementById('lab').scrollIntoView()");
        let shot = browser.call(
            "Page.captureScreenshot",
            serde_json::json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            shot["data"].as_str().unwrap(),
        )
        .unwrap();
        std::fs::write(path, png).unwrap();
    }
    browser.eval("1");
    // The bad spec's 400 is the answer the page asked for, not an error of the page.
    let errors: Vec<String> = browser
        .errors()
        .into_iter()
        .filter(|e| !(e.contains("status of 400") && e.contains("/api/spec?spec=")))
        .collect();
    assert_eq!(errors, Vec::<String>::new(), "console errors");
}
