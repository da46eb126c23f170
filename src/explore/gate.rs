//! The one gate in front of every route, as Jupyter's server has one: which
//! names the server answers to, which pages may talk to it, what a request
//! body may be, and (for the routes that act) the launch token. The handlers
//! behind it never check these again.
//!
//! The threats (docs/EXPLORE.md, "Security"): a page on another site the user
//! visits can send requests to `127.0.0.1` — "simple" ones without asking
//! first — and, through DNS rebinding (its own name made to point at
//! `127.0.0.1`), read the answers. So:
//!
//! - `Host` must be a name of this server (`localhost`, the loopback addresses,
//!   the address it is bound to, with its port; or a name allowed by its
//!   caller): a rebound name is refused before anything is done.
//! - A request that says where it comes from (`Origin`, or the browser's
//!   `Sec-Fetch-Site`) must come from this server's own page. Clients that say
//!   nothing (curl, scripts) are served.
//! - A body must declare a picture (`image/*`, `application/octet-stream`) or
//!   JSON: the three types a page elsewhere can send without asking (forms and
//!   plain text) are refused.
//! - A body is refused from its `Content-Length` when over the limit, and read
//!   within a time limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::api::ApiError;

/// Who may talk to the server, and how large a request may be.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    /// `Host` values answered, lowercase (`127.0.0.1:8000`, `localhost:8000`, …).
    hosts: Vec<String>,
    /// The launch token the acting routes require, if the server has one.
    token: Option<String>,
    /// The cookie the page keeps the token in: one per port, since browsers
    /// share a host's cookies between its ports.
    cookie: String,
    body_bytes: usize,
    body_time: Duration,
    /// Bytes of bodies held at once, all requests together.
    bodies: Arc<Semaphore>,
}

/// The routes that start, stop or delete work: the launch token is required.
const ACTING_PREFIXES: [&str; 1] = ["/api/runs"];

/// What the server's own page sends with a body: a picture, raw bytes or JSON.
fn body_type_allowed(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("image/")
        || essence == "application/octet-stream"
        || essence == "application/json"
}

impl Gate {
    /// The gate of a server bound to `bound`, also answering to `extra_hosts`
    /// (names, or `name:port`).
    pub(crate) fn new(
        bound: SocketAddr,
        extra_hosts: &[String],
        token: Option<String>,
        body_bytes: usize,
        body_time: Duration,
        bodies_bytes: usize,
    ) -> Self {
        let port = bound.port();
        let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()];
        if !bound.ip().is_unspecified() {
            names.push(host_name(bound.ip()));
        }
        let mut hosts = Vec::new();
        for name in names.iter().chain(extra_hosts) {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            if has_port(&name) {
                hosts.push(name);
            } else {
                hosts.push(format!("{name}:{port}"));
                if port == 80 {
                    hosts.push(name); // a browser leaves the default port out
                }
            }
        }
        hosts.sort();
        hosts.dedup();
        Self {
            hosts,
            token,
            cookie: format!("lenet_token_{port}"),
            body_bytes,
            body_time,
            bodies: Arc::new(Semaphore::new(bodies_bytes.max(body_bytes))),
        }
    }

    /// The `Host` values the server answers to.
    #[cfg(test)]
    fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Why `headers` may not reach the routes, if they may not.
    fn refusal(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<ApiError> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        let Some(host) = host else {
            return Some(ApiError::new(400, "the request has no Host header"));
        };
        if !self.hosts.contains(&host) {
            return Some(ApiError::new(
                403,
                format!(
                    "this server does not answer to the name `{host}` (a page elsewhere \
                     pointing its own name here?); it answers to {} — start it with \
                     --allow-host to add a name",
                    self.hosts.join(", ")
                ),
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
            let own = origin
                .strip_prefix("http://")
                .is_some_and(|h| self.hosts.iter().any(|own| own == h));
            if !own {
                return Some(ApiError::new(
                    403,
                    format!("requests from other pages are refused (Origin `{origin}`)"),
                ));
            }
        }
        // Browsers say where a request comes from even when they send no
        // Origin (a picture or a script another page embeds). Only the page
        // itself may be opened from elsewhere (a link to it).
        let site = headers
            .get("sec-fetch-site")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("none");
        let from_here = matches!(site, "same-origin" | "none");
        let page = *method == Method::GET && path == "/";
        if !from_here && !page {
            return Some(ApiError::new(
                403,
                format!("requests from other pages are refused (Sec-Fetch-Site `{site}`)"),
            ));
        }
        if ACTING_PREFIXES.iter().any(|p| path.starts_with(p)) && !self.token_given(headers) {
            return Some(ApiError::new(
                401,
                "this route needs the server's token: open the address it printed \
                 (`…/?token=…`), or send `Authorization: Bearer TOKEN`",
            ));
        }
        None
    }

    /// Whether the request carries the launch token (as a bearer token, or the
    /// cookie the page got when opened with `?token=`). Without a token set,
    /// the acting routes are open to any request the gate lets through.
    fn token_given(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.trim(), token));
        bearer
            || headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|h| h.to_str().ok())
                .flat_map(|h| h.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .any(|(name, value)| name == self.cookie && constant_time_eq(value, token))
    }

    /// The `Set-Cookie` that hands the page the token, when it is opened with
    /// the right `?token=`.
    fn cookie_for(&self, method: &Method, uri: &axum::http::Uri) -> Option<HeaderValue> {
        let token = self.token.as_ref()?;
        if *method != Method::GET || uri.path() != "/" {
            return None;
        }
        let given = uri
            .query()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == "token")?
            .1;
        if !constant_time_eq(given, token) {
            return None;
        }
        let cookie = format!("{}={token}; HttpOnly; SameSite=Strict; Path=/", self.cookie);
        HeaderValue::from_str(&cookie).ok()
    }

    /// Refuses a body that is too large (from its `Content-Length`, unread) or
    /// not a picture or JSON; reads one within the time limit, once the bytes
    /// it may take fit in what all bodies together may hold (the room is the
    /// request's until it is answered).
    async fn read_body(
        &self,
        request: Request,
    ) -> Result<(Request, Option<OwnedSemaphorePermit>), ApiError> {
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<u64>().ok());
        let chunked = parts.headers.contains_key(header::TRANSFER_ENCODING);
        if declared.unwrap_or(0) == 0 && !chunked {
            return Ok((Request::from_parts(parts, body), None));
        }
        if declared.is_some_and(|n| n > self.body_bytes as u64) {
            return Err(too_large(self.body_bytes));
        }
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !body_type_allowed(content_type) {
            return Err(ApiError::new(
                415,
                format!(
                    "a body must be a picture (image/…, application/octet-stream) or JSON, \
                     not `{content_type}`"
                ),
            ));
        }
        let room = declared.map_or(self.body_bytes, |n| n as usize).max(1);
        let room = tokio::time::timeout(
            self.body_time,
            Arc::clone(&self.bodies).acquire_many_owned(room as u32),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| ApiError::busy("the server holds as many pictures as it can; try again"))?;
        let bytes =
            tokio::time::timeout(self.body_time, axum::body::to_bytes(body, self.body_bytes))
                .await
                .map_err(|_| {
                    ApiError::new(
                        408,
                        format!(
                            "the body took longer than {} s to arrive",
                            self.body_time.as_secs()
                        ),
                    )
                })?
                .map_err(|e| {
                    let over = std::error::Error::source(&e)
                        .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
                    if over {
                        too_large(self.body_bytes)
                    } else {
                        ApiError::bad_request(format!("the body did not arrive whole: {e}"))
                    }
                })?;
        Ok((Request::from_parts(parts, Body::from(bytes)), Some(room)))
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(413, format!("the body is over the limit of {limit} bytes"))
}

/// An address as `Host` writes it (IPv6 in brackets).
fn host_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Whether `host` ends in `:port` (`[::1]` alone does not).
fn has_port(host: &str) -> bool {
    match host.rsplit_once(':') {
        Some((name, port)) => {
            !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.starts_with('[') || name.ends_with(']'))
        }
        None => false,
    }
}

/// Compares without stopping at the first difference, so the time taken does
/// not tell how much of a guessed token was right.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The gate as axum middleware, in front of every route.
pub(crate) async fn admit(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    if let Some(refusal) = gate.refusal(request.method(), request.uri().path(), request.headers()) {
        return refusal.into_response();
    }
    let cookie = gate.cookie_for(request.method(), request.uri());
    match gate.read_body(request).await {
        Ok((request, _room)) => {
            let mut response = next.run(request).await;
            if let Some(cookie) = cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(refusal) => {
            let mut response = refusal.into_response();
            // The rest of an unread body is not waited for: the connection ends.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate::new(
            "127.0.0.1:8000".parse().unwrap(),
            &["lab.example".into()],
            Some("secret".into()),
            1000,
            Duration::from_secs(1),
            10_000,
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_the_servers_own_names_are_answered() {
        let gate = gate();
        for host in [
            "127.0.0.1:8000",
            "localhost:8000",
            "LOCALHOST:8000",
            "[::1]:8000",
        ] {
            let h = headers(&[("host", host)]);
            assert_eq!(gate.refusal(&Method::GET, "/", &h), None, "{host}");
        }
        let h = headers(&[("host", "lab.example:8000")]);
        assert_eq!(gate.refusal(&Method::GET, "/api/models", &h), None);
        for host in [
            "attacker.example:8000",
            "127.0.0.1:8001",
            "127.0.0.1",
            "localhost",
        ] {
            let h = headers(&[("host", host)]);
            let refused = gate.refusal(&Method::GET, "/", &h).unwrap();
            assert_eq!(refused.status, 403, "{host}");
        }
        assert_eq!(
            gate.refusal(&Method::GET, "/", &HeaderMap::new())
                .unwrap()
                .status,
            400
        );
    }

    #[test]
    fn a_server_on_every_address_answers_at_loopback_not_at_0_0_0_0() {
        for bound in ["0.0.0.0:8000", "[::]:8000"] {
            let bound: SocketAddr = bound.parse().unwrap();
            let gate = Gate::new(bound, &[], None, 1, Duration::from_secs(1), 1);
            let opened = crate::explore::address_to_open(bound).to_string();
            let answered = |host: &str| {
                let h = headers(&[("host", host)]);
                gate.refusal(&Method::GET, "/", &h).is_none()
            };
            assert!(answered(&opened), "{opened}");
            assert!(!answered(&bound.to_string()), "{bound}");
        }
    }

    #[test]
    fn port_80_may_be_left_out_and_an_extra_name_may_carry_its_port() {
        let gate = Gate::new(
            "127.0.0.1:80".parse().unwrap(),
            &["proxy.local:9000".into()],
            None,
            1,
            Duration::from_secs(1),
            1,
        );
        assert!(gate.hosts().contains(&"localhost".to_string()));
        assert!(gate.hosts().contains(&"proxy.local:9000".to_string()));
        assert!(!gate.hosts().contains(&"proxy.local:9000:80".to_string()));
        assert!(has_port("[::1]:80") && !has_port("[::1]") && !has_port("host:"));
    }

    #[test]
    fn other_pages_are_refused_but_plain_clients_are_not() {
        let gate = gate();
        let host = ("host", "127.0.0.1:8000");
        let own = headers(&[host, ("origin", "http://127.0.0.1:8000")]);
        assert_eq!(gate.refusal(&Method::POST, "/api/explain", &own), None);
        let plain = headers(&[host]);
        assert_eq!(gate.refusal(&Method::POST, "/api/explain", &plain), None);
        for origin in ["http://attacker.example", "null", "https://127.0.0.1:8000"] {
            let h = headers(&[host, ("origin", origin)]);
            let refused = gate.refusal(&Method::POST, "/api/explain", &h).unwrap();
            assert_eq!(refused.status, 403, "{origin}");
        }
        let embedded = headers(&[host, ("sec-fetch-site", "cross-site")]);
        assert!(
            gate.refusal(&Method::GET, "/api/mnist/3", &embedded)
                .is_some()
        );
        // A link to the page from elsewhere opens it.
        assert_eq!(gate.refusal(&Method::GET, "/", &embedded), None);
        let same_site = headers(&[host, ("sec-fetch-site", "same-site")]);
        assert!(
            gate.refusal(&Method::GET, "/api/models", &same_site)
                .is_some()
        );
    }

    #[test]
    fn acting_routes_need_the_token() {
        let gate = gate();
        let host = ("host", "127.0.0.1:8000");
        let none = headers(&[host]);
        assert_eq!(
            gate.refusal(&Method::POST, "/api/runs", &none)
                .unwrap()
                .status,
            401
        );
        let wrong = headers(&[host, ("authorization", "Bearer secreT")]);
        assert!(gate.refusal(&Method::POST, "/api/runs", &wrong).is_some());
        let bearer = headers(&[host, ("authorization", "Bearer secret")]);
        assert_eq!(gate.refusal(&Method::POST, "/api/runs", &bearer), None);
        let cookie = headers(&[host, ("cookie", "a=b; lenet_token_8000=secret")]);
        assert_eq!(
            gate.refusal(&Method::GET, "/api/runs/x/events", &cookie),
            None
        );
        let other_port = headers(&[host, ("cookie", "lenet_token_9000=secret")]);
        assert!(
            gate.refusal(&Method::GET, "/api/runs", &other_port)
                .is_some()
        );
        assert_eq!(gate.refusal(&Method::GET, "/api/models", &none), None);
    }

    #[test]
    fn the_page_opened_with_the_token_gets_it_as_a_cookie() {
        let gate = gate();
        let uri = |s: &str| s.parse::<axum::http::Uri>().unwrap();
        let cookie = gate
            .cookie_for(&Method::GET, &uri("/?token=secret"))
            .unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with("lenet_token_8000=secret;"), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(
            gate.cookie_for(&Method::GET, &uri("/?token=wrong"))
                .is_none()
        );
        assert!(
            gate.cookie_for(&Method::GET, &uri("/app.js?token=secret"))
                .is_none()
        );
    }

    #[test]
    fn the_types_a_page_may_send_unasked_are_not_bodies_here() {
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ] {
            assert!(!body_type_allowed(refused), "{refused}");
        }
        for allowed in [
            "image/png",
            "IMAGE/JPEG",
            "application/octet-stream",
            "application/json; charset=utf-8",
        ] {
            assert!(body_type_allowed(allowed), "{allowed}");
        }
    }
}
