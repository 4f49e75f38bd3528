//! A raw TCP HTTP/1.1 server that records the exact bytes of every request and answers from a
//! script, so tests can see precisely what went on the wire.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer: status, extra headers, body.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

pub fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        body: body.to_string(),
    }
}

pub struct CaptureServer {
    pub base_url: String,
    pub host: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl CaptureServer {
    /// Serve `script` answers in order (the last one repeats), recording every request.
    pub async fn start(script: Vec<Answer>) -> CaptureServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let script = Arc::new(Mutex::new((script, 0usize)));
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // Read one request: head, then Content-Length bytes of body.
                        let head_end = loop {
                            if let Some(i) = find(&buf, b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        while buf.len() < head_end + len {
                            let mut chunk = [0u8; 4096];
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let raw = String::from_utf8_lossy(&buf[..head_end + len]).to_string();
                        buf.drain(..head_end + len);
                        recorded.lock().unwrap().push(raw);
                        let a = {
                            let mut s = script.lock().unwrap();
                            let i = s.1.min(s.0.len() - 1);
                            s.1 += 1;
                            s.0[i].clone()
                        };
                        let resp = format!(
                            "HTTP/1.1 {} X\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{}",
                            a.status,
                            a.body.len(),
                            a.body
                        );
                        if sock.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        CaptureServer {
            base_url: format!("http://{addr}/scim/v2"),
            host: addr.to_string(),
            requests,
        }
    }

    /// Every request so far, with the port replaced by `{port}` so snapshots are stable.
    pub fn transcript(&self) -> String {
        let port = self.host.rsplit(':').next().unwrap_or_default().to_string();
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.replace(&format!(":{port}"), ":{port}"))
            .collect::<Vec<_>>()
            .join("\n----\n")
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
