//! The publishers: one board-protocol connection per instance, sending chat lines
//! (`publish {board, text}`) whose text carries the message's number on its board and its
//! send time ([`super::plan::marker`]).
//!
//! A message counts as *published* only once the instance acknowledged it — that is, once
//! Redis holds it on disk. A refusal (`error`, e.g. `unavailable` while the store is
//! slow) is counted apart and expects no delivery; a message neither acknowledged nor
//! refused by the end is reported as unanswered.

use std::{
    net::{Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::tcp::OwnedWriteHalf,
    task::JoinHandle,
};

use super::{
    histogram::Histogram,
    plan::{board_name, marker, mono_us},
};
use crate::client::{encode_client_frame, parse_frame, WsClient, OP_PING, OP_PONG, OP_TEXT};

/// What was sent and what the instances answered.
#[derive(Debug, Default)]
pub struct PublishBook {
    /// The board of message `m`, and when it was sent (µs, [`mono_us`]).
    sent: Vec<(usize, u64)>,
    /// Send → `ack`, in µs: the instance's commit in Redis, fsync included.
    pub commit_latency: Histogram,
    /// Per board: messages acknowledged.
    pub acked_per_board: Vec<u64>,
    pub refused: u64,
    pub first_refusal: Option<String>,
    pub answered: u64,
}

impl PublishBook {
    /// A book for `boards` boards.
    pub fn new(boards: usize) -> Self {
        PublishBook {
            acked_per_board: vec![0; boards],
            ..PublishBook::default()
        }
    }

    /// Records message `m` (the next one) as sent to `board` at `at_us`.
    pub fn sent(&mut self, board: usize, at_us: u64) -> u64 {
        self.sent.push((board, at_us));
        self.sent.len() as u64 - 1
    }

    /// Messages sent.
    pub fn sent_count(&self) -> u64 {
        self.sent.len() as u64
    }

    /// Takes one answer frame, received at `now_us`: `ack` or `error`, matched to its
    /// message by `id`. Anything else (a frame that is not an answer to a message we sent)
    /// is ignored.
    pub fn answer(&mut self, frame: &[u8], now_us: u64) {
        let Ok(answer) = serde_json::from_slice::<serde_json::Value>(frame) else {
            return;
        };
        let m = answer["id"]
            .as_str()
            .and_then(|id| id.parse::<usize>().ok());
        let Some(&(board, sent_us)) = m.and_then(|m| self.sent.get(m)) else {
            return;
        };
        match answer["type"].as_str() {
            Some("ack") => {
                self.acked_per_board[board] += 1;
                self.commit_latency.record(now_us.saturating_sub(sent_us));
            }
            Some("error") => {
                self.refused += 1;
                self.first_refusal
                    .get_or_insert_with(|| String::from_utf8_lossy(frame).into_owned());
            }
            _ => return,
        }
        self.answered += 1;
    }

    /// Messages acknowledged.
    pub fn acked(&self) -> u64 {
        self.acked_per_board.iter().sum()
    }
}

/// The request that publishes message `m`, number `k` on `board`, sent at `sent_us`.
pub fn request(m: u64, board: usize, k: u64, sent_us: u64) -> String {
    format!(
        r#"{{"type":"publish","id":"{m}","payload":{{"board":"{}","text":"{}"}}}}"#,
        board_name(board),
        marker(k, sent_us)
    )
}

/// One publisher connection: its write half, shared with its reader (which answers the
/// server's Pings on it).
pub struct Publisher {
    writer: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    reader: JoinHandle<()>,
    frame: Vec<u8>,
}

impl Publisher {
    /// Connects from `source` to `server` and starts reading answers into `book`.
    pub async fn connect(
        server: SocketAddr,
        source: Ipv4Addr,
        book: Arc<Mutex<PublishBook>>,
    ) -> Result<Self, String> {
        let client = WsClient::connect_from(server, source, "/ws", Some("liveboard.v1"))
            .await
            .map_err(|e| format!("publisher to {server}: {e}"))?;
        let (stream, mut buf) = client.into_parts();
        let (mut rd, wr) = stream.into_split();
        let writer = Arc::new(tokio::sync::Mutex::new(wr));
        let pong_writer = writer.clone();
        let reader = tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                loop {
                    match parse_frame(&mut buf) {
                        Ok(Some((OP_TEXT, payload))) => {
                            book.lock().expect("book lock").answer(&payload, mono_us())
                        }
                        // RFC 6455 §5.5.2: a Ping is answered with a Pong, same payload.
                        Ok(Some((OP_PING, payload))) => {
                            out.clear();
                            encode_client_frame(OP_PONG, &payload, &mut out);
                            let _ = pong_writer.lock().await.write_all(&out).await;
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => return,
                    }
                }
                buf.reserve(8 * 1024);
                match rd.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        });
        Ok(Publisher {
            writer,
            reader,
            frame: Vec::with_capacity(256),
        })
    }

    /// Sends one text message.
    pub async fn send(&mut self, text: &str) -> Result<(), String> {
        self.frame.clear();
        encode_client_frame(OP_TEXT, text.as_bytes(), &mut self.frame);
        self.writer
            .lock()
            .await
            .write_all(&self.frame)
            .await
            .map_err(|e| format!("publishing: {e}"))
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_count_per_board_and_refusals_apart() {
        let mut book = PublishBook::new(3);
        assert_eq!(book.sent(2, 1_000), 0);
        assert_eq!(book.sent(0, 1_100), 1);
        assert_eq!(book.sent(2, 1_200), 2);
        book.answer(
            br#"{"id":"0","type":"ack","payload":{"request":"publish"}}"#,
            1_010,
        );
        book.answer(
            br#"{"id":"2","type":"ack","payload":{"request":"publish"}}"#,
            1_300,
        );
        book.answer(
            br#"{"id":"1","type":"error","payload":{"code":"unavailable"}}"#,
            1_300,
        );
        book.answer(br#"{"id":"9","type":"ack"}"#, 1_400); // never sent
        book.answer(br#"{"type":"presence.list"}"#, 1_400);
        book.answer(b"not json", 1_400);
        assert_eq!(book.acked_per_board, [0, 0, 2]);
        assert_eq!(book.commit_latency.count(), 2, "acks only");
        assert_eq!(book.commit_latency.max(), 100);
        assert_eq!((book.acked(), book.refused, book.answered), (2, 1, 3));
        assert!(book
            .first_refusal
            .as_deref()
            .unwrap()
            .contains("unavailable"));
        assert_eq!(book.sent_count(), 3);
    }

    #[test]
    fn the_request_is_a_board_protocol_publish_with_the_marker() {
        let r: serde_json::Value = serde_json::from_str(&request(41, 3, 2, 99)).unwrap();
        assert_eq!(r["type"], "publish");
        assert_eq!(r["id"], "41");
        assert_eq!(r["payload"]["board"], "cluster-3");
        assert_eq!(r["payload"]["text"], "bench#2#99#");
    }
}
