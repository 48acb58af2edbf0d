//! Validating UTF-8 one fragment at a time (RFC 6455 §5.6, §8.1).
//!
//! "The "Payload data" of a text frame is text data encoded as UTF-8" (§5.6), and "when an
//! endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in
//! fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_" (§8.1),
//! with close code 1007.
//!
//! A text *message* may arrive in several *fragments*, and fragment boundaries fall anywhere,
//! including in the middle of a multi-byte code point: `€` is `E2 82 AC`, and a client may send
//! `E2` at the end of one fragment and `82 AC` at the start of the next. Validating each
//! fragment on its own would reject that valid message; validating only the reassembled
//! message would accept the bytes of an invalid one until its very end. [`Utf8Validator`] does
//! neither:
//!
//! * it validates each fragment as it arrives, so an invalid sequence fails the connection
//!   immediately, in the fragment that contains it ("fail fast", what Autobahn's 6.4.x cases
//!   check);
//! * it carries an *incomplete* code point at the end of a fragment (at most 3 bytes) over to
//!   the next one;
//! * when the message ends, a carried incomplete code point is an error
//!   ([`Utf8Error::IncompleteAtEnd`]).
//!
//! The heavy lifting is done by `std::str::from_utf8`, which already distinguishes the two
//! failures we care about: `Utf8Error::error_len()` is `Some(n)` for bytes that can never
//! become valid (an overlong `C0 80`, a surrogate `ED A0 80`, a code point above U+10FFFF like
//! `F4 90 80 80`; std checks the *second* byte's range, so these fail as soon as their
//! second byte is seen) and `None` when the input merely stops in the middle of a valid
//! prefix, which is exactly the part to carry over.

use std::str;

/// What went wrong while validating a text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8Error {
    /// An invalid byte sequence starts `offset` bytes into the message.
    Invalid {
        /// Offset of the first byte of the invalid sequence, from the start of the message.
        offset: usize,
    },
    /// The message ended in the middle of a multi-byte code point.
    IncompleteAtEnd,
}

/// An incremental UTF-8 validator for one message at a time.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    /// The bytes of an incomplete code point left at the end of the previous fragment.
    carry: [u8; 4],
    carry_len: usize,
    /// Bytes of the message consumed so far (for error offsets).
    consumed: usize,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub fn new() -> Utf8Validator {
        Utf8Validator::default()
    }

    // ANCHOR: utf8_feed
    /// Validates the next fragment. Fails on the first byte sequence that cannot be valid;
    /// an incomplete code point at the end of `fragment` is remembered, not an error yet.
    pub fn feed(&mut self, fragment: &[u8]) -> Result<(), Utf8Error> {
        let mut rest = fragment;

        // 1. Finish the code point carried over from the previous fragment, one byte at a time
        //    (it needs at most 3 more).
        while self.carry_len > 0 {
            let Some((&byte, tail)) = rest.split_first() else {
                return Ok(()); // still incomplete: wait for the next fragment
            };
            self.carry[self.carry_len] = byte;
            self.carry_len += 1;
            rest = tail;
            match str::from_utf8(&self.carry[..self.carry_len]) {
                Ok(_) => {
                    self.consumed += self.carry_len;
                    self.carry_len = 0;
                }
                Err(e) if e.error_len().is_some() => {
                    return Err(Utf8Error::Invalid {
                        offset: self.consumed,
                    });
                }
                Err(_) => {} // a longer valid prefix; keep going
            }
        }

        // 2. Validate the rest in one call; std is fast on ASCII-heavy text.
        match str::from_utf8(rest) {
            Ok(_) => {
                self.consumed += rest.len();
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(Utf8Error::Invalid {
                        offset: self.consumed + valid,
                    });
                }
                // An incomplete but so-far-valid code point at the very end: carry it.
                let tail = &rest[valid..];
                self.consumed += valid;
                self.carry[..tail.len()].copy_from_slice(tail);
                self.carry_len = tail.len();
                Ok(())
            }
        }
    }
    // ANCHOR_END: utf8_feed

    /// Ends the message: fails if it stopped in the middle of a code point, then resets the
    /// validator for the next message.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let incomplete = self.carry_len > 0;
        *self = Utf8Validator::new();
        if incomplete {
            Err(Utf8Error::IncompleteAtEnd)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn validate(fragments: &[&[u8]]) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        for fragment in fragments {
            v.feed(fragment)?;
        }
        v.finish()
    }

    #[test]
    fn ascii_and_multibyte_text_in_one_fragment_is_valid() {
        assert_eq!(validate(&["Hello-µ@ßöäüàá-UTF-8!!".as_bytes()]), Ok(()));
        assert_eq!(validate(&["κόσμε".as_bytes()]), Ok(()));
        assert_eq!(validate(&[b""]), Ok(()));
    }

    #[test]
    fn a_four_byte_code_point_split_across_fragments_at_every_position_is_valid() {
        // U+1F600 😀 = F0 9F 98 80
        let bytes = "a😀b".as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                let parts: [&[u8]; 3] = [&bytes[..i], &bytes[i..j], &bytes[j..]];
                assert_eq!(validate(&parts), Ok(()), "split at {i},{j}");
            }
        }
    }

    #[test]
    fn a_code_point_split_one_byte_per_fragment_is_valid() {
        let bytes = "€𝄞".as_bytes();
        let parts: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(validate(&parts), Ok(()));
    }

    #[test]
    fn overlong_encodings_are_invalid() {
        // "/" as 2, 3 and 4 bytes; NUL as 2 bytes (Autobahn 6.8, 6.9).
        for overlong in [
            &b"\xc0\xaf"[..],
            b"\xe0\x80\xaf",
            b"\xf0\x80\x80\xaf",
            b"\xc0\x80",
        ] {
            assert_eq!(
                validate(&[overlong]),
                Err(Utf8Error::Invalid { offset: 0 }),
                "{overlong:x?}"
            );
        }
    }

    #[test]
    fn surrogates_are_invalid() {
        // U+D800 and U+DFFF (Autobahn 6.10, 6.11).
        for surrogate in [&b"\xed\xa0\x80"[..], b"\xed\xbf\xbf"] {
            assert_eq!(
                validate(&[surrogate]),
                Err(Utf8Error::Invalid { offset: 0 })
            );
        }
    }

    #[test]
    fn code_points_above_u10ffff_are_invalid() {
        // U+110000 and the 5-/6-byte forms of the original UTF-8 (Autobahn 6.3, 6.6).
        for too_big in [
            &b"\xf4\x90\x80\x80"[..],
            b"\xf8\x88\x80\x80\x80",
            b"\xfc\x84\x80\x80\x80\x80",
        ] {
            assert_eq!(validate(&[too_big]), Err(Utf8Error::Invalid { offset: 0 }));
        }
    }

    #[test]
    fn an_invalid_sequence_fails_in_its_own_fragment_not_at_the_end_of_the_message() {
        // Autobahn 6.4.1: "κόσμε" then F4 90 80 80 (> U+10FFFF) then "edited".
        let mut v = Utf8Validator::new();
        let greek = "κόσμε";
        assert_eq!(v.feed(greek.as_bytes()), Ok(()));
        assert_eq!(
            v.feed(b"\xf4\x90\x80\x80"),
            Err(Utf8Error::Invalid {
                offset: greek.len()
            })
        );
    }

    #[test]
    fn an_invalid_second_byte_fails_even_when_the_code_point_is_cut_short() {
        // F4 90 can never start a valid code point: no need to wait for more bytes.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"ok\xf4\x90"), Err(Utf8Error::Invalid { offset: 2 }));
        // The same bytes split one per fragment: fails on the 0x90.
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"ok\xf4"), Ok(()));
        assert_eq!(v.feed(b"\x90"), Err(Utf8Error::Invalid { offset: 2 }));
    }

    #[test]
    fn a_message_ending_mid_code_point_is_incomplete() {
        assert_eq!(validate(&[b"abc\xe2\x82"]), Err(Utf8Error::IncompleteAtEnd));
        assert_eq!(
            validate(&[b"\xf0", b"\x9f\x98"]),
            Err(Utf8Error::IncompleteAtEnd)
        );
    }

    #[test]
    fn finish_resets_for_the_next_message() {
        let mut v = Utf8Validator::new();
        v.feed(b"\xe2").unwrap(); // the first byte of a three-byte code point
        assert_eq!(v.finish(), Err(Utf8Error::IncompleteAtEnd));
        assert_eq!(v.feed("€".as_bytes()), Ok(()));
        assert_eq!(v.finish(), Ok(()));
    }

    proptest! {
        #[test]
        fn any_chunking_agrees_with_std(
            bytes in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64),
                any::<String>().prop_map(String::into_bytes),
            ],
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut start = 0;
            for cut in cuts {
                parts.push(&bytes[start..cut]);
                start = cut;
            }
            parts.push(&bytes[start..]);
            let ours = validate(&parts);
            match str::from_utf8(&bytes) {
                Ok(_) => prop_assert_eq!(ours, Ok(())),
                Err(e) if e.error_len().is_some() => {
                    prop_assert_eq!(ours, Err(Utf8Error::Invalid { offset: e.valid_up_to() }))
                }
                Err(_) => prop_assert_eq!(ours, Err(Utf8Error::IncompleteAtEnd)),
            }
        }
    }
}
