//! The explore app against a real server on 127.0.0.1: two trained models side
//! by side agree with `predict` on photos of real handwriting; bad bodies get a
//! 4xx with a JSON error and the server keeps serving; 16 requests at once; and
//! the page itself in headless Chromium, drawn on with mouse events.

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

use lenet::data::Mnist;
use lenet::explore::{App, NamedModel, ServeOptions};
use lenet::predict::{Preprocess, decode, predict, predict_ensemble, prepare_image};
use lenet::train::Recipe;
use lenet::{Architecture, SavedModel};
use serde_json::Value;

struct Served {
    url: String,
    models: Vec<SavedModel>,
    mnist: Mnist,
}

/// LeNet5 and the extra-conv variant, one epoch each on real MNIST, served
/// (with the test images to browse) on a free loopback port for the whole file.
fn served() -> Option<&'static Served> {
    static SERVED: OnceLock<Option<Served>> = OnceLock::new();
    SERVED
        .get_or_init(|| {
            let dir = support::real_mnist_dir("explore tests (they need trained models)")?;
            let mnist = Mnist::load(&dir).unwrap();
            let device = lenet::device("flex").unwrap();
            let models: Vec<SavedModel> = [Architecture::LENET5, Architecture::EXTRA_CONV]
                .into_iter()
                .map(|architecture| {
                    let config = Recipe::Tutorial.config(architecture).with_epochs(1);
                    let trained = support::train(&config, &mnist, &device).unwrap();
                    SavedModel::new(trained.model, config.normalization)
                })
                .collect();
            let named = vec![
                NamedModel::new("lenet5", models[0].clone()),
                NamedModel::new("extra-conv", models[1].clone()),
            ];
            let app = App::new(named, Some(mnist.test.clone())).unwrap();
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            std::thread::spawn(move || {
                lenet::explore::serve(listener, app, ServeOptions::default()).unwrap()
            });
            Some(Served { url, models, mnist })
        })
        .as_ref()
}

/// An HTTP client that hands back 4xx answers instead of failing on them.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// POSTs `body` as a picture (`Content-Type: image/png`, whatever it holds:
/// the server tells the format from the bytes).
/// POSTs a picture as a patient client does: turned away with `503` while the
/// shared server computes other tests' pictures (one per core, a short queue),
/// it tries again after the `Retry-After` second, up to 30 times.
fn post(url: &str, body: &[u8]) -> (u16, Value) {
    for _ in 0..30 {
        let (status, answer) = post_once(url, body);
        if status != 503 {
            return (status, answer);
        }
        std::thread::sleep(Duration::from_secs(1)); // its Retry-After
    }
    panic!("still busy after 30 tries");
}

fn post_once(url: &str, body: &[u8]) -> (u16, Value) {
    let mut response = agent()
        .post(url)
        .header("Content-Type", "image/png")
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

fn get(url: &str) -> (u16, String) {
    let mut response = agent().get(url).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

fn still_serving(served: &Served) {
    let (status, body) = get(&format!("{}/api/models", served.url));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_page_and_the_models_are_served() {
    let Some(served) = served() else { return };
    let (status, page) = get(&format!("{}/", served.url));
    assert_eq!(status, 200);
    assert!(page.contains("<canvas id=\"pad\""), "the drawing canvas");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from the network"
    );
    for asset in ["/app.js", "/style.css"] {
        assert_eq!(get(&format!("{}{asset}", served.url)).0, 200, "{asset}");
    }
    let (status, info) = get(&format!("{}/api/models", served.url));
    assert_eq!(status, 200);
    let info: Value = serde_json::from_str(&info).unwrap();
    let names: Vec<&str> = info["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lenet5", "extra-conv"], "in the order given");
    let conv1 = &info["models"][0]["layers"][0];
    assert_eq!(
        conv1["kernels"]["weight_shape"],
        serde_json::json!([6, 1, 5, 5])
    );
    assert_eq!(conv1["kernels"]["weights"].as_array().unwrap().len(), 150);
    assert_eq!(
        info["models"][0]["layers"][3]["receptive_field"]["size"],
        14
    );
    assert_eq!(info["mnist_test_images"], 10_000);
}

#[test]
fn explain_agrees_with_predict_on_photos_of_real_handwriting() {
    let Some(served) = served() else { return };
    for index in 0..30 {
        let photo = support::photo_like(&served.mnist.test, index);
        let (status, answer) = post(&format!("{}/api/explain", served.url), &photo);
        assert_eq!(status, 200, "{answer}");
        let digit = prepare_image(&decode(&photo).unwrap(), &Preprocess::default()).unwrap();
        let models = answer["models"].as_array().unwrap();
        assert_eq!(models.len(), 2);
        assert_eq!(models[0]["name"], "lenet5");
        // The two read together: what `predict_ensemble` gives.
        let together = predict_ensemble(&served.models, std::slice::from_ref(&digit)).unwrap();
        assert_eq!(answer["ensemble"]["members"], 2);
        assert_eq!(
            answer["ensemble"]["class"], together[0].class,
            "photo {index}"
        );
        let mean = answer["ensemble"]["probabilities"].as_array().unwrap();
        for (class, p) in mean.iter().enumerate() {
            let expected = together[0].probabilities[class];
            assert!((p.as_f64().unwrap() - f64::from(expected)).abs() < 1e-6);
        }
        for (model, saved) in models.iter().zip(&served.models) {
            let expected = predict(saved, &digit).class;
            assert_eq!(model["class"], expected, "photo {index}, {}", model["name"]);
            let probabilities = model["probabilities"].as_array().unwrap();
            let total: f64 = probabilities.iter().map(|p| p.as_f64().unwrap()).sum();
            assert!((total - 1.0).abs() < 1e-4);
            // Every layer, with its values.
            let layers = model["layers"].as_array().unwrap();
            assert_eq!(layers.len(), saved.architecture.layers().len());
            for layer in layers {
                let size: u64 = layer["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap())
                    .product();
                assert_eq!(
                    layer["values"].as_array().unwrap().len() as u64,
                    size,
                    "{}",
                    layer["name"]
                );
            }
            for map in ["saliency", "integrated_gradients", "occlusion"] {
                assert_eq!(model[map]["values"].as_array().unwrap().len(), 784, "{map}");
            }
            assert_eq!(
                model["grad_cam"]["on_input"]["values"]
                    .as_array()
                    .unwrap()
                    .len(),
                784
            );
        }
        assert_eq!(answer["input"].as_array().unwrap().len(), 784);
    }
}

#[test]
fn the_test_images_come_wrong_first_and_explain_by_index() {
    let Some(served) = served() else { return };
    let (status, page) = get(&format!("{}/api/mnist?offset=0&limit=500", served.url));
    assert_eq!(status, 200, "{page}");
    let page: Value = serde_json::from_str(&page).unwrap();
    let wrong = page["wrong"].as_u64().unwrap() as usize;
    assert!(wrong > 0 && wrong < 2_000, "{wrong}");
    for (position, item) in page["items"].as_array().unwrap().iter().enumerate() {
        let label = &item["label"];
        let any_wrong = item["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p != label);
        assert_eq!(any_wrong, position < wrong, "position {position}");
        assert_eq!(item["pixels"].as_array().unwrap().len(), 784);
    }
    let first = page["items"][0]["index"].as_u64().unwrap();
    let (status, answer) = get(&format!("{}/api/mnist/{first}?layer=conv1", served.url));
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["models"][0]["grad_cam"]["layer"], "conv1");
    assert_eq!(
        answer["models"][0]["class"],
        page["items"][0]["predictions"][0]
    );
    assert_eq!(get(&format!("{}/api/mnist/10000", served.url)).0, 404);
    assert_eq!(get(&format!("{}/api/mnist/-1", served.url)).0, 400);
    assert_eq!(get(&format!("{}/api/mnist?limit=0", served.url)).0, 400);
    assert_eq!(
        get(&format!("{}/api/mnist?limit=100000", served.url)).0,
        400
    );
}

#[test]
#[cfg(feature = "tutorial")]
fn a_picture_is_prepared_as_the_query_asks_and_a_test_image_refuses_it() {
    use lenet::predict::{LookalikeStyle, Polarity, lookalike};
    let Some(served) = served() else { return };
    let photo = support::photo_like(&served.mnist.test, 0);
    let notebook = lookalike(served.mnist.test.image(0), LookalikeStyle::NotebookPhoto, 0).unwrap();
    let url = format!("{}/api/explain", served.url);
    let asked = |change: fn(&mut Preprocess)| {
        let mut options = Preprocess::default();
        change(&mut options);
        options
    };
    let mut inputs = Vec::new();
    for (query, picture, options) in [
        ("", &photo, Preprocess::default()),
        (
            "?ink=dark",
            &photo,
            asked(|o| o.polarity = Polarity::DarkInk),
        ),
        ("", &notebook, Preprocess::default()),
        (
            "?keep_surroundings=true",
            &notebook,
            asked(|o| o.clear_surroundings = false),
        ),
        (
            "?ink=auto&keep_surroundings=false&class=3",
            &photo,
            Preprocess::default(),
        ),
    ] {
        let (status, answer) = post(&format!("{url}{query}"), picture);
        assert_eq!(status, 200, "{query}: {answer}");
        let digit = prepare_image(&decode(picture).unwrap(), &options).unwrap();
        assert_eq!(answer["inverted"], digit.inverted, "{query}");
        let input: Vec<f32> = answer["input"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        support::assert_close(query, &digit.pixels, &input, 1e-6);
        let expected = predict(&served.models[0], &digit).class;
        assert_eq!(answer["models"][0]["class"], expected, "{query}");
        inputs.push(input);
    }
    assert_eq!(inputs[0], inputs[1], "the photo is dark ink, as decided");
    assert_ne!(
        inputs[2], inputs[3],
        "the ruled lines kept change the input"
    );
    assert_eq!(inputs[0], inputs[4], "the defaults spelled out");

    // Taken the wrong way round, the paper is the ink: no ink left, and why.
    let (status, answer) = post(&format!("{url}?ink=light"), &photo);
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("ink"),
        "{answer}"
    );
    for bad in ["ink=sideways", "ink=", "keep_surroundings=maybe"] {
        let (status, answer) = post(&format!("{url}?{bad}"), &photo);
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("query"),
            "{bad}: {answer}"
        );
    }
    // A test image is MNIST's 28×28 already: nothing to prepare.
    for refused in ["ink=dark", "keep_surroundings=true"] {
        let (status, answer) = get(&format!("{}/api/mnist/0?{refused}", served.url));
        assert_eq!(status, 400, "{refused}: {answer}");
        assert!(answer.contains("pictures"), "{refused}: {answer}");
    }
    assert_eq!(get(&format!("{}/api/mnist/0?ink=auto", served.url)).0, 200);
    still_serving(served);
}

/// Sends headers announcing `length` bytes and as much of the body as the server
/// takes (in a thread), and reads the answer: the server answers a body over its
/// limit without reading it.
fn raw_post(served: &Served, length: usize) -> (u16, String) {
    let address = served.url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /api/explain HTTP/1.1\r\nHost: {address}\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let chunk = vec![0u8; 1 << 16];
        let mut sent = 0;
        while sent < length {
            let n = chunk.len().min(length - sent);
            if writer.write_all(&chunk[..n]).is_err() {
                break; // the server has answered and closed
            }
            sent += n;
        }
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = sender.join();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn bad_bodies_get_a_4xx_with_a_json_error_and_the_server_keeps_serving() {
    let Some(served) = served() else { return };
    let url = format!("{}/api/explain", served.url);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("text", b"just some text, not a picture".to_vec(), 415),
        ("empty", Vec::new(), 400),
        (
            "huge header",
            support::huge_png_header(200_000, 200_000),
            413,
        ),
        ("truncated PNG", support::huge_png_header(64, 64), 400),
    ];
    for (name, body, expected) in cases {
        let (status, answer) = post(&url, &body);
        assert_eq!(status, expected, "{name}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}: {answer}"
        );
        still_serving(served);
    }
    let (status, answer) = post(
        &format!("{url}?class=10"),
        &support::photo_like(&served.mnist.test, 0),
    );
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = post(
        &format!("{url}?layer=fc1"),
        &support::photo_like(&served.mnist.test, 0),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("conv2"),
        "{answer}"
    );
    let (status, answer) = post(
        &format!("{url}?class=seven"),
        &support::photo_like(&served.mnist.test, 0),
    );
    assert_eq!(status, 400, "{answer}");

    let (status, answer) = raw_post(served, 30 << 20);
    assert_eq!(status, 413, "a 30 MB body: {answer}");
    assert!(answer.contains("\"error\""), "{answer}");
    still_serving(served);
    assert_eq!(get(&format!("{}/no/such/route", served.url)).0, 404);
    let (status, answer) = get(&format!("{}/api/explain", served.url));
    assert_eq!(status, 405, "GET on a POST route: {answer}");
    assert!(answer.contains("\"error\""), "{answer}");
}

/// Sixteen at once: each is answered, or turned away with `503` and
/// `Retry-After` while the server computes others (one per core, a short queue)
/// and answered when it tries again — the same answer as alone.
#[test]
fn sixteen_requests_at_once_are_all_answered() {
    let Some(served) = served() else { return };
    let url = format!("{}/api/explain", served.url);
    let photos: Vec<Vec<u8>> = (0..16)
        .map(|i| support::photo_like(&served.mnist.test, i))
        .collect();
    let alone: Vec<Value> = photos
        .iter()
        .map(|p| post(&url, p).1["models"][0]["class"].clone())
        .collect();
    let together: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = photos
            .iter()
            .map(|p| scope.spawn(|| post(&url, p)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, ((status, answer), class)) in together.iter().zip(&alone).enumerate() {
        assert_eq!(*status, 200, "request {i}: {answer}");
        assert_eq!(&answer["models"][0]["class"], class, "request {i}");
    }
}

/// The names of the page's layers none of whose channels has anything drawn.
const BLANK_LAYERS: &str = "[...document.querySelectorAll('.layer')].filter(layer => ![...layer.querySelectorAll('canvas')].some(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 0) return true;
    return false;
})).map(layer => layer.querySelector('h3').textContent)";

/// The page in real headless Chromium: a test digit through both models before
/// any input; a vertical stroke reads as 1 and a ring
/// as 0 in both models, "of class" asks for the explanations of another class,
/// the feature-map canvases are drawn, the console is clean.
#[test]
fn the_page_reads_drawn_digits_in_headless_chromium() {
    let test = "the_page_reads_drawn_digits_in_headless_chromium";
    let Some(served) = served() else { return };
    let Some(binary) = support::chromium(test) else {
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let mut browser = support::devtools::Browser::launch(&binary, profile.path());
    browser.navigate(&format!("{}/", served.url));
    // Before any input, the page shows a test digit through both models.
    let settled = "!encoding && !inFlight && !pending && document.querySelectorAll('.predicted').length === 2";
    assert!(
        browser.wait_for(settled, Duration::from_secs(30)),
        "the page loads its models and answers for a first digit: {:?}",
        browser.eval("document.body && document.body.innerText")
    );
    let note = browser.eval("document.getElementById('start-note').textContent");
    assert!(
        note.as_str().unwrap().contains("draw over it, or clear"),
        "{note}"
    );
    assert_eq!(
        browser.eval(BLANK_LAYERS),
        Value::Array(vec![]),
        "the first paint: layers with nothing drawn"
    );
    let pad =
        browser.eval("JSON.stringify(document.getElementById('pad').getBoundingClientRect())");
    let pad: Value = serde_json::from_str(pad.as_str().unwrap()).unwrap();
    let (left, top) = (pad["left"].as_f64().unwrap(), pad["top"].as_f64().unwrap());
    let side = pad["width"].as_f64().unwrap();

    let digits: [(&str, Vec<(f64, f64)>); 2] = [
        (
            "1",
            (0..=20)
                .map(|i| (0.5, 0.15 + 0.7 * i as f64 / 20.0))
                .collect(),
        ),
        (
            "0",
            (0..=40)
                .map(|i| {
                    let a = std::f64::consts::TAU * i as f64 / 40.0;
                    (0.5 + 0.25 * a.cos(), 0.5 + 0.33 * a.sin())
                })
                .collect(),
        ),
    ];
    for (digit, points) in digits {
        browser.eval("document.getElementById('clear').click()");
        let points: Vec<(f64, f64)> = points
            .iter()
            .map(|(x, y)| (left + x * side, top + y * side))
            .collect();
        browser.stroke(&points);
        assert!(
            browser.wait_for(settled, Duration::from_secs(30)),
            "an answer for the drawn {digit}"
        );
        std::thread::sleep(Duration::from_millis(300));
        assert!(browser.wait_for(settled, Duration::from_secs(30)));
        let shown = browser.eval(
            "[...document.querySelectorAll('.predicted')].map(e => e.dataset.class).join(',')",
        );
        assert_eq!(
            shown,
            Value::from(format!("{digit},{digit}")),
            "the drawn {digit}"
        );
    }
    // The explanations of a class other than the prediction: the page asks for
    // it, shows it for each model, and still shows the prediction.
    browser.eval(
        "(() => { const c = document.getElementById('class'); c.value = '6'; c.dispatchEvent(new Event('change')); })()",
    );
    assert!(
        browser.wait_for(
            "!encoding && !inFlight && !pending && last.models.every(m => m.explained_class === 6)",
            Duration::from_secs(30)
        ),
        "the answer explains class 6"
    );
    let notes = browser
        .eval("[...document.querySelectorAll('.overlay-note')].map(e => e.textContent).join('|')");
    let notes = notes.as_str().unwrap();
    assert!(
        notes.split('|').all(|note| note.ends_with("class 6")),
        "each model's overlay says which class it explains: {notes}"
    );
    let shown = browser
        .eval("[...document.querySelectorAll('.predicted')].map(e => e.dataset.class).join(',')");
    assert_eq!(shown, Value::from("0,0"), "the prediction is still shown");
    // Every layer of every model has drawn channels (not all black).
    assert_eq!(
        browser.eval(BLANK_LAYERS),
        Value::Array(vec![]),
        "layers with nothing drawn"
    );
    let layers = browser.eval("document.querySelectorAll('.layer').length");
    let expected: usize = served
        .models
        .iter()
        .map(|m| m.architecture.layers().len())
        .sum();
    assert_eq!(layers, Value::from(expected), "every layer of both models");
    // LENET_EXPLORE_SCREENSHOT=FILE.png keeps a picture of the page (docs/EXPLORE.md's).
    if let Some(path) = std::env::var_os("LENET_EXPLORE_SCREENSHOT") {
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
    browser.eval("1"); // collect the last events
    assert_eq!(browser.errors(), Vec::<String>::new(), "console errors");
}
