//! The tokio-tungstenite peer (the library phase 6 is planned to build on).
//!
//! Configured with a 4 KiB read buffer, the size our own server reads in, instead of the
//! default 128 KiB (allocated eagerly per connection, which would swamp the memory
//! comparison; `--read-buffer 131072` measures the default). Writes use `feed` for every
//! message ready and one `flush`, tungstenite's own way to coalesce.

use std::{process::ExitCode, sync::Arc};

use futures_util::{SinkExt, StreamExt};
use tokio::{net::TcpStream, sync::broadcast::error::RecvError};
use tokio_tungstenite::{
    tungstenite::{
        handshake::server::{Request, Response},
        protocol::{frame::coding::CloseCode, CloseFrame, WebSocketConfig},
        Message, Utf8Bytes,
    },
    WebSocketStream,
};

use super::{PeerArgs, Shared, CLOSE_TIMEOUT, GOING_AWAY_REASON};

/// `serve-tungstenite`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct TungsteniteArgs {
    #[command(flatten)]
    peer: PeerArgs,
    /// Read buffer per connection, in bytes (tungstenite's default: 131072).
    #[arg(long, default_value_t = 4096)]
    read_buffer: usize,
}

type Ws = WebSocketStream<TcpStream>;

/// Runs the server until SIGTERM.
pub fn serve(args: &TungsteniteArgs) -> ExitCode {
    let config = WebSocketConfig::default().read_buffer_size(args.read_buffer);
    super::run::<Utf8Bytes, _, _>(&args.peer, move |stream, shared| {
        connection(stream, shared, config)
    })
}

async fn connection(stream: TcpStream, shared: Arc<Shared<Utf8Bytes>>, config: WebSocketConfig) {
    // Subscribe before the 101 goes out (see the module doc of `peers`).
    let rx = shared.tx.subscribe();
    let mut path = String::new();
    #[allow(clippy::result_large_err)] // the signature tungstenite asks for
    let callback = |req: &Request, res: Response| {
        path = req.uri().path().to_owned();
        Ok(res)
    };
    let Ok(ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await
    else {
        return;
    };
    match path.as_str() {
        "/ws/echo" => {
            drop(rx);
            echo(ws, &shared).await
        }
        "/ws/publish" => {
            drop(rx);
            publish(ws, &shared).await
        }
        _ => subscribe(ws, rx, &shared).await,
    }
}

async fn going_away(ws: &mut Ws) {
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: GOING_AWAY_REASON.into(),
    };
    if ws.close(Some(frame)).await.is_ok() {
        // Read until the peer's Close (tungstenite then ends the stream) or the deadline.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    }
}

async fn echo(mut ws: Ws, shared: &Shared<Utf8Bytes>) {
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => return going_away(&mut ws).await,
            msg = ws.next() => match msg {
                Some(Ok(msg @ (Message::Text(_) | Message::Binary(_)))) => {
                    if ws.send(msg).await.is_err() {
                        return;
                    }
                }
                // Pings are answered and Closes echoed by tungstenite on the next read.
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return,
            },
        }
    }
}

async fn publish(mut ws: Ws, shared: &Shared<Utf8Bytes>) {
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => return going_away(&mut ws).await,
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let _ = shared.tx.send(text); // no subscriber is not an error
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return,
            },
        }
    }
}

async fn subscribe(
    mut ws: Ws,
    mut rx: tokio::sync::broadcast::Receiver<Utf8Bytes>,
    shared: &Shared<Utf8Bytes>,
) {
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => return going_away(&mut ws).await,
            msg = ws.next() => match msg {
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return,
            },
            got = rx.recv() => match got {
                Ok(text) => {
                    if ws.feed(Message::Text(text)).await.is_err() {
                        return;
                    }
                    while let Ok(text) = rx.try_recv() {
                        if ws.feed(Message::Text(text)).await.is_err() {
                            return;
                        }
                    }
                    if ws.flush().await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(n)) => shared.lag(n),
                Err(RecvError::Closed) => return,
            },
        }
    }
}
