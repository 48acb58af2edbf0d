//! The codec on a real socket (127.0.0.1, port 0): a tiny echo server built from
//! `FrameCodec` + `MessageAssembler`, and a "client" that speaks raw bytes, so the assertions
//! are about exactly what crosses the wire.

use bytes::BytesMut;
use phase_3_websocket::{
    encode_server_frame, CloseCode, Frame, FrameCodec, Limits, Message, MessageAssembler, OpCode,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder};

/// Serves one connection: echoes data messages, answers pings, completes the closing
/// handshake, and fails the connection on a protocol error, as RFC 6455 §7.1.7 describes.
async fn echo_one_connection(mut socket: TcpStream) {
    let limits = Limits::default();
    let mut codec = FrameCodec::server(limits);
    let mut assembler = MessageAssembler::new(limits);
    let mut read_buf = BytesMut::with_capacity(4096);
    let mut write_buf = BytesMut::new();
    loop {
        let frame = match codec.decode(&mut read_buf) {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                if socket.read_buf(&mut read_buf).await.unwrap() == 0 {
                    return;
                }
                continue;
            }
            Err(err) => {
                if let Some(close) = err.close_frame() {
                    codec.encode(close, &mut write_buf).unwrap();
                    socket.write_all(&write_buf).await.unwrap();
                }
                return;
            }
        };
        let reply = match assembler.push(frame) {
            Ok(None) => continue,
            Ok(Some(Message::Ping(data))) => Frame::pong(data),
            Ok(Some(Message::Pong(_))) => continue,
            Ok(Some(close @ Message::Close(_))) => close.into_frame(),
            Ok(Some(data)) => data.into_frame(),
            Err(err) => err.close_frame().unwrap(),
        };
        let is_close = reply.opcode == OpCode::Close;
        codec.encode(reply, &mut write_buf).unwrap();
        socket.write_all(&write_buf.split()).await.unwrap();
        if is_close {
            return;
        }
    }
}

async fn start_echo_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(echo_one_connection(socket));
        }
    });
    addr
}

async fn read_exactly(socket: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    socket.read_exact(&mut buf).await.unwrap();
    buf
}

#[tokio::test]
async fn the_rfc_masked_hello_written_one_byte_at_a_time_is_echoed_unmasked() {
    let addr = start_echo_server().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.set_nodelay(true).unwrap();
    let masked_hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    for byte in masked_hello {
        client.write_all(&[byte]).await.unwrap();
        client.flush().await.unwrap();
    }
    assert_eq!(
        read_exactly(&mut client, 7).await,
        [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    );
}

#[tokio::test]
async fn a_fragmented_message_with_a_ping_in_between_gets_a_pong_then_the_echo() {
    let addr = start_echo_server().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut codec = FrameCodec::client_with_mask_keys(Limits::default(), || [1, 2, 3, 4]);
    let mut wire = BytesMut::new();
    for frame in [
        Frame::new(false, OpCode::Text, "Hel"),
        Frame::ping("are you there"),
        Frame::new(true, OpCode::Continuation, "lo"),
    ] {
        codec.encode(frame, &mut wire).unwrap();
    }
    client.write_all(&wire).await.unwrap();

    let pong = encode_server_frame(OpCode::Pong, b"are you there").unwrap();
    let echo = encode_server_frame(OpCode::Text, b"Hello").unwrap();
    let expected = [pong.as_bytes().as_ref(), echo.as_bytes().as_ref()].concat();
    assert_eq!(read_exactly(&mut client, expected.len()).await, expected);
}

#[tokio::test]
async fn an_unmasked_frame_gets_close_1002_on_the_wire() {
    let addr = start_echo_server().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])
        .await
        .unwrap();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await.unwrap();
    let reason = CloseCode::ProtocolError.reason().as_bytes();
    assert_eq!(reply[0], 0x88, "a final, unmasked Close frame");
    assert_eq!(reply[1] as usize, 2 + reason.len());
    assert_eq!(reply[2..4], 1002u16.to_be_bytes());
    assert_eq!(&reply[4..], reason);
}

#[tokio::test]
async fn a_close_from_the_client_is_answered_with_the_same_code() {
    let addr = start_echo_server().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut codec = FrameCodec::client(Limits::default());
    let mut wire = BytesMut::new();
    codec
        .encode(Frame::close(CloseCode::GoingAway, "tab closed"), &mut wire)
        .unwrap();
    client.write_all(&wire).await.unwrap();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, [&[0x88, 12, 0x03, 0xe9][..], b"tab closed"].concat());
}
