//! Every way a peer can break RFC 6455 that the codec and the assembler detect, each with the
//! error it produces and the close code the server sends back.

use bytes::{Bytes, BytesMut};
use phase_3_websocket::{
    apply_mask, CloseCode, FrameCodec, Limits, Message, MessageAssembler, OpCode, ProtocolError,
};
use tokio_util::codec::Decoder;

const KEY: [u8; 4] = [0xa1, 0xb2, 0xc3, 0xd4];

/// A client frame built by hand: first byte as given, MASK set, minimal length, masked payload.
fn masked(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    let len = payload.len();
    if len <= 125 {
        out.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&KEY);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], KEY);
    out
}

/// Feeds bytes to a server decoder and returns the first error (the test fails if none).
fn server_decode_error(bytes: &[u8]) -> ProtocolError {
    server_decode_error_with(Limits::default(), bytes)
}

fn server_decode_error_with(limits: Limits, bytes: &[u8]) -> ProtocolError {
    let mut codec = FrameCodec::server(limits);
    let mut buf = BytesMut::from(bytes);
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("no error: the decoder wants more bytes"),
            Err(err) => return err,
        }
    }
}

/// The whole server pipeline: bytes → frames → messages, stopping at the first error.
fn server_pipeline(limits: Limits, bytes: &[u8]) -> (Vec<Message>, Option<ProtocolError>) {
    let mut codec = FrameCodec::server(limits);
    let mut assembler = MessageAssembler::new(limits);
    let mut buf = BytesMut::from(bytes);
    let mut messages = Vec::new();
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(frame)) => match assembler.push(frame) {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => {}
                Err(err) => return (messages, Some(err)),
            },
            Ok(None) => return (messages, None),
            Err(err) => return (messages, Some(err)),
        }
    }
}

fn assert_closes_with(err: &ProtocolError, code: CloseCode) {
    assert_eq!(err.close_code(), code, "{err}");
    let close = err.close_frame().expect("a close frame is sent");
    assert_eq!(close.opcode, OpCode::Close);
    assert_eq!(&close.payload[..2], code.code().to_be_bytes());
}

// ----- framing -------------------------------------------------------------------------------

#[test]
fn an_unmasked_client_frame_is_rejected_from_its_first_two_bytes() {
    let err = server_decode_error(&[0x81, 0x05]);
    assert!(matches!(err, ProtocolError::UnmaskedClientFrame));
    assert!(err.to_string().contains("§5.1"));
    assert_closes_with(&err, CloseCode::ProtocolError);
}

#[test]
fn a_masked_server_frame_is_rejected_by_a_client() {
    let mut client = FrameCodec::client(Limits::default());
    let err = client
        .decode(&mut BytesMut::from(&masked(0x81, b"hi")[..]))
        .unwrap_err();
    assert!(matches!(err, ProtocolError::MaskedServerFrame));
    assert_closes_with(&err, CloseCode::ProtocolError);
}

#[test]
fn each_reserved_bit_set_without_an_extension_is_rejected() {
    for (first_byte, rsv) in [(0xC1, 0b100), (0xA1, 0b010), (0x91, 0b001), (0xF1, 0b111)] {
        let err = server_decode_error(&masked(first_byte, b"x"));
        assert!(
            matches!(err, ProtocolError::ReservedBitsSet { rsv: r } if r == rsv),
            "{err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
}

#[test]
fn every_reserved_opcode_is_rejected() {
    for opcode in (0x3..=0x7).chain(0xB..=0xF) {
        let err = server_decode_error(&masked(0x80 | opcode, b""));
        assert!(
            matches!(err, ProtocolError::ReservedOpcode { opcode: o } if o == opcode),
            "{err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
}

#[test]
fn a_fragmented_control_frame_is_rejected() {
    for opcode in [0x8, 0x9, 0xA] {
        // FIN = 0.
        let err = server_decode_error(&masked(opcode, b""));
        assert!(
            matches!(err, ProtocolError::FragmentedControlFrame { .. }),
            "{err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
}

#[test]
fn a_control_frame_over_125_bytes_is_rejected() {
    for opcode in [0x88, 0x89, 0x8A] {
        let err = server_decode_error(&masked(opcode, &[b'a'; 126]));
        assert!(
            matches!(err, ProtocolError::ControlFrameTooLong { len: 126 }),
            "{err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
    // Exactly 125 is fine.
    let (messages, err) = server_pipeline(Limits::default(), &masked(0x89, &[b'a'; 125]));
    assert!(err.is_none());
    assert_eq!(messages, [Message::Ping(Bytes::from(vec![b'a'; 125]))]);
}

#[test]
fn a_16_bit_length_below_126_is_non_minimal_and_rejected() {
    let err = server_decode_error(&[0x82, 0x80 | 126, 0x00, 125]);
    assert!(
        matches!(
            err,
            ProtocolError::NonMinimalLength {
                len: 125,
                width: 16
            }
        ),
        "{err}"
    );
    assert_closes_with(&err, CloseCode::ProtocolError);
}

#[test]
fn a_64_bit_length_below_65536_is_non_minimal_and_rejected() {
    let err = server_decode_error(&[0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
    assert!(
        matches!(
            err,
            ProtocolError::NonMinimalLength {
                len: 65535,
                width: 64
            }
        ),
        "{err}"
    );
    assert_closes_with(&err, CloseCode::ProtocolError);
}

#[test]
fn a_64_bit_length_with_its_most_significant_bit_set_is_rejected() {
    let err = server_decode_error(&[0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    assert!(matches!(err, ProtocolError::LengthMsbSet), "{err}");
    assert_closes_with(&err, CloseCode::ProtocolError);
}

#[test]
fn a_frame_over_the_limit_is_rejected_from_its_header_before_any_payload_arrives() {
    let limits = Limits::default();
    let too_big = (limits.max_frame_payload + 1) as u64;
    // The 2-byte header plus the 8-byte length: no masking key, no payload yet.
    let mut header = vec![0x82, 0x80 | 127];
    header.extend_from_slice(&too_big.to_be_bytes());
    let mut codec = FrameCodec::server(limits);
    let mut buf = BytesMut::from(&header[..]);
    let capacity_before = buf.capacity();
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, ProtocolError::FrameTooBig { len, limit } if len == too_big && limit == limits.max_frame_payload),
        "{err}"
    );
    assert_eq!(
        buf.capacity(),
        capacity_before,
        "nothing was reserved for the payload"
    );
    assert_closes_with(&err, CloseCode::MessageTooBig);
}

#[test]
fn a_header_claiming_exabytes_costs_nothing_but_an_error() {
    let mut codec = FrameCodec::server(Limits::default());
    let mut buf = BytesMut::from(&[0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF][..]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(matches!(err, ProtocolError::FrameTooBig { .. }));
    assert!(buf.capacity() < 64);
}

#[test]
fn a_frame_at_the_limit_reserves_only_what_its_header_announces() {
    let limits = Limits {
        max_frame_payload: 100_000,
        max_message_size: 100_000,
    };
    let mut header = vec![0x82, 0x80 | 127];
    header.extend_from_slice(&100_000u64.to_be_bytes());
    header.extend_from_slice(&KEY);
    let mut codec = FrameCodec::server(limits);
    let mut buf = BytesMut::from(&header[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(buf.capacity() >= 100_000);
    assert!(
        buf.capacity() <= 2 * (100_000 + 14),
        "capacity {}",
        buf.capacity()
    );
}

// ----- messages ------------------------------------------------------------------------------

#[test]
fn a_message_over_the_limit_is_rejected_as_soon_as_the_total_crosses_it() {
    let limits = Limits {
        max_frame_payload: 100,
        max_message_size: 250,
    };
    let mut wire = masked(0x02, &[0; 100]); // binary, FIN = 0
    wire.extend(masked(0x00, &[0; 100])); // continuation: 200
    wire.extend(masked(0x00, &[0; 100])); // continuation: 300 > 250, FIN still 0
    let (messages, err) = server_pipeline(limits, &wire);
    assert!(messages.is_empty());
    let err = err.expect("the third fragment crosses the limit");
    assert!(
        matches!(
            err,
            ProtocolError::MessageTooBig {
                size: 300,
                limit: 250
            }
        ),
        "{err}"
    );
    assert_closes_with(&err, CloseCode::MessageTooBig);
}

#[test]
fn a_single_frame_message_over_the_message_limit_is_rejected() {
    let limits = Limits {
        max_frame_payload: 1000,
        max_message_size: 10,
    };
    let (_, err) = server_pipeline(limits, &masked(0x81, b"eleven byte"));
    assert!(matches!(
        err,
        Some(ProtocolError::MessageTooBig {
            size: 11,
            limit: 10
        })
    ));
}

#[test]
fn invalid_utf8_in_a_fragment_is_detected_before_the_final_fragment() {
    let mut wire = masked(0x01, "κόσμε".as_bytes()); // text, FIN = 0
    wire.extend(masked(0x00, b"\xed\xa0\x80")); // continuation carrying U+D800, FIN = 0
                                                // No final fragment is ever sent: the error must come without it.
    let (messages, err) = server_pipeline(Limits::default(), &wire);
    assert!(messages.is_empty());
    let err = err.expect("the surrogate fails the connection at once");
    assert!(matches!(err, ProtocolError::InvalidUtf8 { .. }), "{err}");
    assert_closes_with(&err, CloseCode::InvalidPayload);
}

#[test]
fn invalid_utf8_in_a_single_frame_text_message_is_rejected() {
    let (_, err) = server_pipeline(Limits::default(), &masked(0x81, b"\xc0\xaf"));
    let err = err.unwrap();
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { offset: 0, .. }),
        "{err}"
    );
    assert_closes_with(&err, CloseCode::InvalidPayload);
}

#[test]
fn a_text_message_ending_mid_code_point_is_rejected() {
    let mut wire = masked(0x01, b"euro: \xe2\x82"); // FIN = 0, incomplete €
    wire.extend(masked(0x80, b"")); // final, empty: the € is never completed
    let (_, err) = server_pipeline(Limits::default(), &wire);
    let err = err.unwrap();
    assert!(matches!(err, ProtocolError::IncompleteUtf8), "{err}");
    assert_closes_with(&err, CloseCode::InvalidPayload);
}

#[test]
fn a_code_point_split_across_fragments_is_accepted() {
    let mut wire = masked(0x01, b"euro: \xe2\x82"); // FIN = 0
    wire.extend(masked(0x89, b"ping between")); // a control frame in the middle
    wire.extend(masked(0x80, b"\xac!")); // final
    let (messages, err) = server_pipeline(Limits::default(), &wire);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        messages,
        [
            Message::Ping(Bytes::from_static(b"ping between")),
            Message::Text("euro: €!".into())
        ]
    );
}

#[test]
fn a_continuation_without_a_started_message_is_rejected() {
    for first_byte in [0x80, 0x00] {
        let (_, err) = server_pipeline(Limits::default(), &masked(first_byte, b"orphan"));
        let err = err.unwrap();
        assert!(
            matches!(err, ProtocolError::ContinuationWithoutStart),
            "{err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
}

#[test]
fn a_new_data_frame_in_the_middle_of_a_message_is_rejected() {
    for interloper in [0x81, 0x82, 0x01, 0x02] {
        let mut wire = masked(0x01, b"first half"); // text, FIN = 0
        wire.extend(masked(interloper, b"another message"));
        let (_, err) = server_pipeline(Limits::default(), &wire);
        let err = err.unwrap();
        assert!(
            matches!(err, ProtocolError::DataFrameMidMessage { .. }),
            "{err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
}

// ----- the close frame -------------------------------------------------------------------------

#[test]
fn an_empty_close_payload_is_a_close_without_status() {
    let (messages, err) = server_pipeline(Limits::default(), &masked(0x88, b""));
    assert!(err.is_none());
    assert_eq!(messages, [Message::Close(None)]);
}

#[test]
fn a_one_byte_close_payload_is_a_protocol_error() {
    let (_, err) = server_pipeline(Limits::default(), &masked(0x88, &[0x03]));
    let err = err.unwrap();
    assert!(matches!(err, ProtocolError::CloseFrameOneByte), "{err}");
    assert_closes_with(&err, CloseCode::ProtocolError);
}

#[test]
fn close_codes_that_must_not_be_received_are_protocol_errors() {
    for code in [
        0u16,
        999,
        1004,
        1005,
        1006,
        1015,
        1016,
        2999,
        5000,
        u16::MAX,
    ] {
        let (_, err) = server_pipeline(Limits::default(), &masked(0x88, &code.to_be_bytes()));
        let err = err.unwrap();
        assert!(
            matches!(err, ProtocolError::InvalidCloseCode { code: c } if c == code),
            "{code}: {err}"
        );
        assert_closes_with(&err, CloseCode::ProtocolError);
    }
}

#[test]
fn close_codes_that_may_be_received_are_accepted() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
    ] {
        let (messages, err) =
            server_pipeline(Limits::default(), &masked(0x88, &code.to_be_bytes()));
        assert!(err.is_none(), "{code}: {err:?}");
        assert!(matches!(&messages[..], [Message::Close(Some(close))] if close.code == code));
    }
}

#[test]
fn a_close_reason_that_is_not_utf8_is_an_invalid_payload() {
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye \xff");
    let (_, err) = server_pipeline(Limits::default(), &masked(0x88, &payload));
    let err = err.unwrap();
    assert!(matches!(err, ProtocolError::InvalidUtf8 { .. }), "{err}");
    assert_closes_with(&err, CloseCode::InvalidPayload);
}

#[test]
fn a_close_payload_over_125_bytes_is_rejected_by_the_decoder() {
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(&[b'x'; 124]); // 126 bytes in all
    let err = server_decode_error(&masked(0x88, &payload));
    assert!(
        matches!(err, ProtocolError::ControlFrameTooLong { len: 126 }),
        "{err}"
    );
}

#[test]
fn a_close_with_code_and_reason_is_parsed() {
    let (messages, _) = server_pipeline(
        Limits::default(),
        &masked(0x88, &[&1001u16.to_be_bytes()[..], b"tab closed"].concat()),
    );
    let [Message::Close(Some(close))] = &messages[..] else {
        panic!("{messages:?}")
    };
    assert_eq!((close.code, close.reason.as_str()), (1001, "tab closed"));
    assert_eq!(close.known_code(), Some(CloseCode::GoingAway));
}

#[test]
fn a_transport_failure_sends_no_close_frame() {
    let err = ProtocolError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
    assert_eq!(err.close_code(), CloseCode::Abnormal);
    assert!(err.close_frame().is_none());
}

#[test]
fn an_error_message_names_the_rfc_clause_it_enforces() {
    for (err, clause) in [
        (server_decode_error(&[0x81, 0x05]), "§5.1"),
        (server_decode_error(&masked(0xC1, b"")), "§5.2"),
        (server_decode_error(&masked(0x09, b"")), "§5.5"),
    ] {
        assert!(err.to_string().contains(clause), "{err}");
    }
}
