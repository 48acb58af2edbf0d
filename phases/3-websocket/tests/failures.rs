//! Chapter 3's failure story, run for real: `make failures` (or
//! `cargo test -p phase-3-websocket --test failures -- --ignored`).
//!
//! A frame header announces its payload length before a single payload byte arrives, in
//! up to 64 bits. A decoder that trusts it reserves room for the whole payload at once: a
//! 14-byte header is enough to make the server set aside hundreds of MiB per connection.
//! RFC 6455 §10.4 asks for a limit; ours is checked on the header alone, so an oversized
//! frame is refused (close 1009) before anything is buffered. The real codec, one header
//! announcing 256 MiB, with the limit switched off and with the default limit.

use bytes::{BufMut, BytesMut};
use phase_3_websocket::{FrameCodec, Limits, ProtocolError};
use tokio_util::codec::Decoder;

const ANNOUNCED: u64 = 256 * 1024 * 1024;

/// A masked binary frame header announcing `ANNOUNCED` bytes, as a client would send it.
fn header_only() -> BytesMut {
    let mut src = BytesMut::new();
    src.put_u8(0x82); // FIN + binary
    src.put_u8(0x80 | 127); // masked, 64-bit length follows
    src.put_u64(ANNOUNCED);
    src.put_slice(&[1, 2, 3, 4]); // masking key
    src
}

#[test]
#[ignore = "a demonstration: run with `make failures`"]
fn failure_without_a_frame_limit_one_header_makes_the_server_reserve_what_it_announces() {
    let mut unlimited = FrameCodec::server(Limits {
        max_frame_payload: usize::MAX,
        max_message_size: usize::MAX,
    });
    let mut src = header_only();
    let waiting = unlimited.decode(&mut src);
    println!(
        "FAILURE no frame limit: a 14-byte header announcing 256 MiB; the decoder waits for \
         it ({}) with {} MiB reserved for this one connection",
        if matches!(waiting, Ok(None)) {
            "Ok(None)"
        } else {
            "something else"
        },
        src.capacity() / (1024 * 1024)
    );
    assert!(matches!(waiting, Ok(None)));
    assert!(src.capacity() as u64 >= ANNOUNCED);

    let mut limited = FrameCodec::server(Limits::default());
    let mut src = header_only();
    let refused = limited.decode(&mut src);
    println!(
        "FAILURE 1 MiB frame limit: the same header is refused at once ({}), {} bytes held; \
         the connection closes with 1009",
        match &refused {
            Err(e) => e.to_string(),
            Ok(_) => "accepted".to_owned(),
        },
        src.capacity()
    );
    assert!(matches!(refused, Err(ProtocolError::FrameTooBig { .. })));
    assert!((src.capacity() as u64) < ANNOUNCED);
}
