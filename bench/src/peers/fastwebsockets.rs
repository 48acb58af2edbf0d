//! The fastwebsockets peer: the upgrade on hyper 1 (as its examples do), then its
//! `WebSocket` with the defaults (automatic pongs and close replies, vectored writes
//! above 1 KiB). It has no write buffer: each `write_frame` is one write to the socket.

use std::{process::ExitCode, sync::Arc};

use bytes::Bytes;
use fastwebsockets::{upgrade, Frame, OpCode, Payload, WebSocket, WebSocketError};
use http_body_util::Empty;
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, sync::broadcast::error::RecvError};

use super::{PeerArgs, Shared, CLOSE_TIMEOUT, GOING_AWAY_REASON};

type Ws = WebSocket<TokioIo<hyper::upgrade::Upgraded>>;

/// Runs the server until SIGTERM.
pub fn serve(args: &PeerArgs) -> ExitCode {
    super::run::<Bytes, _, _>(args, connection)
}

async fn connection(stream: TcpStream, shared: Arc<Shared<Bytes>>) {
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { upgrade_request(req, shared) }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

fn upgrade_request(
    mut req: Request<Incoming>,
    shared: Arc<Shared<Bytes>>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let path = req.uri().path().to_owned();
    // Subscribe before the 101 goes out (see the module doc of `peers`).
    let rx = (path != "/ws/echo" && path != "/ws/publish").then(|| shared.tx.subscribe());
    let (response, upgraded) = upgrade::upgrade(&mut req)?;
    let tasks = shared.tasks.clone();
    tasks.spawn(async move {
        let Ok(ws) = upgraded.await else { return };
        match (path.as_str(), rx) {
            (_, Some(rx)) => subscribe(ws, rx, &shared).await,
            ("/ws/publish", None) => publish(ws, &shared).await,
            _ => echo(ws, &shared).await,
        }
    });
    Ok(response)
}

async fn going_away(ws: &mut Ws) {
    if ws
        .write_frame(Frame::close(1001, GOING_AWAY_REASON.as_bytes()))
        .await
        .is_ok()
    {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Ok(frame) = ws.read_frame().await {
                if frame.opcode == OpCode::Close {
                    break;
                }
            }
        })
        .await;
    }
}

async fn echo(mut ws: Ws, shared: &Shared<Bytes>) {
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => return going_away(&mut ws).await,
            frame = ws.read_frame() => match frame {
                // fastwebsockets has already answered a Close (auto_close).
                Ok(frame) if frame.opcode == OpCode::Close => return,
                Ok(frame) => {
                    let data = matches!(frame.opcode, OpCode::Text | OpCode::Binary);
                    if data && ws.write_frame(frame).await.is_err() {
                        return;
                    }
                }
                Err(_) => return,
            },
        }
    }
}

async fn publish(mut ws: Ws, shared: &Shared<Bytes>) {
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => return going_away(&mut ws).await,
            frame = ws.read_frame() => match frame {
                Ok(frame) => match frame.opcode {
                    OpCode::Text => {
                        let _ = shared.tx.send(Bytes::copy_from_slice(&frame.payload));
                    }
                    OpCode::Close => return,
                    _ => {}
                },
                Err(_) => return,
            },
        }
    }
}

async fn subscribe(
    mut ws: Ws,
    mut rx: tokio::sync::broadcast::Receiver<Bytes>,
    shared: &Shared<Bytes>,
) {
    loop {
        tokio::select! {
            biased;
            _ = shared.shutdown.cancelled() => return going_away(&mut ws).await,
            frame = ws.read_frame() => match frame {
                Ok(frame) if frame.opcode == OpCode::Close => return,
                Ok(_) => {}
                Err(_) => return,
            },
            got = rx.recv() => match got {
                Ok(text) => {
                    if ws.write_frame(Frame::text(Payload::Borrowed(&text))).await.is_err() {
                        return;
                    }
                    while let Ok(text) = rx.try_recv() {
                        if ws.write_frame(Frame::text(Payload::Borrowed(&text))).await.is_err() {
                            return;
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => shared.lag(n),
                Err(RecvError::Closed) => return,
            },
        }
    }
}
