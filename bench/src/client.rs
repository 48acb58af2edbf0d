//! The load generator's side of the wire: a deliberately small WebSocket client and an
//! event-stream opener, written against the bytes so that the client costs as little CPU
//! as possible and treats every server alike.
//!
//! * **Source addresses.** Connection `i` binds `127.0.0.(2 + i % 8)` before connecting:
//!   each source address has its own ~28k ephemeral ports, so 19.5k connections (times
//!   three servers, times three runs, with sockets lingering in TIME_WAIT) never run out.
//!   The socket is bound with `IP_BIND_ADDRESS_NO_PORT`, so the port is picked at
//!   `connect` for the whole 4-tuple (`bind_address_no_port` says why).
//!   The `cluster` scenario's 100k use [`wide_source_addr`]: 127.0.0.2 … 127.0.0.254.
//! * **Handshake.** RFC 6455 §4.1 with the RFC's own sample key; the answer must be `101`
//!   with the RFC's sample accept value (§1.3), so a server that did not really upgrade
//!   is caught.
//! * **Frames.** Client frames are masked (§5.3: servers must reject unmasked ones) with a
//!   fixed key; server frames are parsed from one growing buffer, several per `read`.

use std::{
    io,
    net::{Ipv4Addr, SocketAddr},
};

use bytes::{Buf, Bytes, BytesMut};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

/// RFC 6455 §1.3's example key and the accept value it must produce.
const SAMPLE_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const SAMPLE_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
/// The client's masking key (any key is valid on the wire; §10.3 wants an unpredictable
/// one to protect intermediaries, which a loopback benchmark does not have).
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Opcodes the client cares about (RFC 6455 §5.2).
pub const OP_TEXT: u8 = 0x1;
/// Close.
pub const OP_CLOSE: u8 = 0x8;
/// Ping: the server's heartbeat.
pub const OP_PING: u8 = 0x9;
/// Pong: the answer to a Ping, with its payload (§5.5.3).
pub const OP_PONG: u8 = 0xA;

/// The source address for connection `i`: 127.0.0.2 … 127.0.0.9.
pub fn source_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (i % 8) as u8)
}

/// The source address for connection `i` of the `cluster` scenario: 127.0.0.2 …
/// 127.0.0.254, 253 addresses. Each address has about 28k ephemeral ports
/// (`ip_local_port_range`) per destination: 253 addresses give ~7M, room for any run on
/// one machine.
pub fn wide_source_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (i % 253) as u8)
}

/// A TCP connection from [`source_addr`]`(i)` to `server`, with Nagle off (as the servers
/// set it) so small messages leave at once.
pub async fn tcp_connect(server: SocketAddr, i: usize) -> io::Result<TcpStream> {
    tcp_connect_from(server, source_addr(i)).await
}

/// A TCP connection from `source` (any free port on it) to `server`, Nagle off.
pub async fn tcp_connect_from(server: SocketAddr, source: Ipv4Addr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    bind_address_no_port(&socket)?;
    socket.bind(SocketAddr::new(source.into(), 0))?;
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sets `IP_BIND_ADDRESS_NO_PORT` (Linux 4.2+, `ip(7)`): `bind` then only records the
/// source address and `connect` picks the port, knowing the destination. Without it,
/// `bind(addr, 0)` must find a port free for *every* destination on that address, and
/// the kernel's search walks bind buckets held by live and TIME_WAIT sockets: after
/// ~40,000 connections in a run it took most of the load generator's core (perf:
/// `inet_bhash2_conflict`, `inet_bind2_bucket_find`), stalled the single-threaded client
/// for seconds, and requests arrived after the server's 10 s header deadline. With the
/// option, the port is chosen per 4-tuple, so the same port can serve several servers and
/// a TIME_WAIT entry is skipped (or reused on loopback) rather than searched around.
fn bind_address_no_port(socket: &TcpSocket) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, a pointer to a live c_int and its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Appends one masked client frame.
pub fn encode_client_frame(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
}

/// Takes one complete frame (opcode, unmasked payload) off the front of `buf`, if there
/// is one. Fragmentation is not reassembled: every server here sends whole messages.
pub fn parse_frame(buf: &mut BytesMut) -> io::Result<Option<(u8, Bytes)>> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let opcode = buf[0] & 0x0f;
    let masked = buf[1] & 0x80 != 0;
    let (len, mut header) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => {
            let mut b = [0; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b) as usize, 10)
        }
        126 | 127 => return Ok(None),
        n => (n as usize, 2),
    };
    if len > 64 << 20 {
        return Err(io::Error::other(format!(
            "a {len}-byte frame: not from a sane server"
        )));
    }
    let key_at = header;
    if masked {
        header += 4;
    }
    if buf.len() < header + len {
        return Ok(None);
    }
    let key = masked.then(|| {
        [
            buf[key_at],
            buf[key_at + 1],
            buf[key_at + 2],
            buf[key_at + 3],
        ]
    });
    buf.advance(header);
    let mut payload = buf.split_to(len);
    if let Some(key) = key {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    Ok(Some((opcode, payload.freeze())))
}

/// The status code of a Close frame's payload (§5.5.1), if it has one.
pub fn close_code(payload: &[u8]) -> Option<u16> {
    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]))
}

/// Reads until `buf` holds a whole HTTP response head; returns its length.
async fn read_head(stream: &mut TcpStream, buf: &mut BytesMut) -> io::Result<usize> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(end + 4);
        }
        if buf.len() > 16 * 1024 {
            return Err(io::Error::other("response head larger than 16 KiB"));
        }
        buf.reserve(4096);
        if stream.read_buf(buf).await? == 0 {
            return Err(io::Error::other(
                "server closed before answering the handshake",
            ));
        }
    }
}

/// One client WebSocket.
pub struct WsClient {
    stream: TcpStream,
    buf: BytesMut,
    out: Vec<u8>,
}

impl WsClient {
    /// Connects (from [`source_addr`]`(i)`) and performs the opening handshake on `path`.
    pub async fn connect(
        server: SocketAddr,
        i: usize,
        path: &str,
        subprotocol: Option<&str>,
    ) -> io::Result<Self> {
        Self::connect_from(server, source_addr(i), path, subprotocol).await
    }

    /// Connects from `source` and performs the opening handshake on `path`.
    pub async fn connect_from(
        server: SocketAddr,
        source: Ipv4Addr,
        path: &str,
        subprotocol: Option<&str>,
    ) -> io::Result<Self> {
        let mut stream = tcp_connect_from(server, source).await?;
        let protocol = subprotocol
            .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {SAMPLE_KEY}\r\n\
             Sec-WebSocket-Version: 13\r\n{protocol}\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut buf = BytesMut::with_capacity(1024);
        let head_len = read_head(&mut stream, &mut buf).await?;
        let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
        if !head.starts_with("HTTP/1.1 101") || !head.contains(SAMPLE_ACCEPT) {
            let status = head.lines().next().unwrap_or("").to_owned();
            return Err(io::Error::other(format!("handshake refused: {status}")));
        }
        buf.advance(head_len); // anything after the head is already WebSocket frames
        Ok(Self {
            stream,
            buf,
            out: Vec::with_capacity(64),
        })
    }

    /// Sends one masked frame.
    pub async fn send(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        self.out.clear();
        encode_client_frame(opcode, payload, &mut self.out);
        self.stream.write_all(&self.out).await
    }

    /// Sends a text message.
    pub async fn send_text(&mut self, payload: &[u8]) -> io::Result<()> {
        self.send(OP_TEXT, payload).await
    }

    /// Sends a Close frame with `code`.
    pub async fn send_close(&mut self, code: u16) -> io::Result<()> {
        self.send(OP_CLOSE, &code.to_be_bytes()).await
    }

    /// The next frame from the server; `None` at EOF. Cancel-safe: bytes already read
    /// stay in the buffer.
    pub async fn next_frame(&mut self) -> io::Result<Option<(u8, Bytes)>> {
        loop {
            if let Some(frame) = parse_frame(&mut self.buf)? {
                return Ok(Some(frame));
            }
            if self.buf.capacity() - self.buf.len() < 1024 {
                self.buf.reserve(8 * 1024);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }

    /// The socket and whatever was read past the handshake.
    pub fn into_parts(self) -> (TcpStream, BytesMut) {
        (self.stream, self.buf)
    }
}

/// Opens an event stream (`GET path`, `Accept: text/event-stream`) and returns it once
/// the `200` head has arrived.
pub async fn open_event_stream(server: SocketAddr, i: usize, path: &str) -> io::Result<TcpStream> {
    let mut stream = tcp_connect(server, i).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {server}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut buf = BytesMut::with_capacity(1024);
    let head_len = read_head(&mut stream, &mut buf).await?;
    if !buf[..head_len].starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
        return Err(io::Error::other(format!(
            "stream refused: {}",
            head.lines().next().unwrap_or("")
        )));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_client_frame_is_rfc_6455_example_5_7() {
        let mut out = Vec::new();
        encode_client_frame(OP_TEXT, b"Hello", &mut out);
        assert_eq!(
            out,
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
    }

    #[test]
    fn server_frames_are_parsed_whole_and_one_at_a_time() {
        let mut wire = BytesMut::new();
        wire.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
        let long = vec![b'x'; 300];
        wire.extend_from_slice(&[0x81, 126, 0x01, 0x2c]);
        wire.extend_from_slice(&long);
        wire.extend_from_slice(&[0x88, 0x02, 0x03, 0xe9]);
        wire.extend_from_slice(&[0x81]); // the start of a frame not yet complete
        assert_eq!(
            parse_frame(&mut wire).unwrap(),
            Some((OP_TEXT, Bytes::from("hi")))
        );
        assert_eq!(
            parse_frame(&mut wire).unwrap(),
            Some((OP_TEXT, Bytes::from(long)))
        );
        let (op, payload) = parse_frame(&mut wire).unwrap().unwrap();
        assert_eq!((op, close_code(&payload)), (OP_CLOSE, Some(1001)));
        assert_eq!(parse_frame(&mut wire).unwrap(), None);
        assert_eq!(&wire[..], [0x81]);
    }

    #[tokio::test]
    async fn the_port_is_chosen_at_connect_not_at_bind() {
        use std::os::fd::AsRawFd;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = tcp_connect_from(listener.local_addr().unwrap(), source_addr(3))
            .await
            .unwrap();
        let (mut on, mut len): (libc::c_int, libc::socklen_t) = (0, 4);
        // SAFETY: a live socket, a c_int to write and its size.
        let rc = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&mut on as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!((rc, on), (0, 1));
        let local = stream.local_addr().unwrap();
        assert_eq!(local.ip(), source_addr(3));
        assert_ne!(local.port(), 0);
        assert!(stream.nodelay().unwrap());
    }

    #[test]
    fn source_addresses_cycle_through_127_0_0_2_to_9() {
        assert_eq!(source_addr(0), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(source_addr(7), Ipv4Addr::new(127, 0, 0, 9));
        assert_eq!(source_addr(8), Ipv4Addr::new(127, 0, 0, 2));
    }

    #[test]
    fn wide_source_addresses_cycle_through_127_0_0_2_to_254() {
        assert_eq!(wide_source_addr(0), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(wide_source_addr(252), Ipv4Addr::new(127, 0, 0, 254));
        assert_eq!(wide_source_addr(253), Ipv4Addr::new(127, 0, 0, 2));
        let used: std::collections::BTreeSet<_> = (0..100_000).map(wide_source_addr).collect();
        assert_eq!(used.len(), 253);
    }
}
