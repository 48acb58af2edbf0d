//! What a cut connection still owes the wire: the rest of the frame it was in the middle
//! of, and nothing more.
//!
//! A connection whose client stopped reading is blocked in a write: the kernel's send
//! buffer is full, and behind it wait the frames we had gathered. When the hub cuts that
//! client (it fell a whole queue budget behind), waiting for the write to finish would
//! mean waiting for a client that may never read again. So the connection stops waiting,
//! **drops the unsent frames** — the client resumes from its last position, so nothing is
//! lost — and sends its Close 1013 instead.
//!
//! One thing may not be dropped: the frame the write stopped in the middle of. RFC 6455
//! §5.2 frames are back to back on the stream; a Close after half a frame would be read as
//! that frame's payload. [`rest_of_frame`] finds where the interrupted frame ends (server
//! frames are unmasked: a 2-byte header, then 0, 2 or 8 bytes of extended length, then
//! the payload) and keeps exactly that much.

use bytes::Bytes;

// ANCHOR: rest_of_frame
/// `bufs` holds whole frames back to back, of which the first `written` bytes were sent.
/// Returns the bytes from `written` up to the end of the frame they fall in — what must be
/// sent before another frame may follow — or nothing if `written` is on a frame boundary.
pub fn rest_of_frame(bufs: &[Bytes], written: usize) -> Vec<Bytes> {
    let mut stream = Cursor::new(bufs);
    let end = loop {
        if stream.pos >= written {
            return Vec::new(); // on a boundary: the next frame was not started
        }
        let Some(frame_len) = stream.next_frame_len() else {
            return Vec::new(); // not whole frames: nothing sensible to finish
        };
        if !stream.skip(frame_len) {
            return Vec::new();
        }
        if stream.pos > written {
            break stream.pos;
        }
    };
    slice(bufs, written, end)
}
// ANCHOR_END: rest_of_frame

/// Reads through the buffers once, front to back.
struct Cursor<'b> {
    bufs: &'b [Bytes],
    index: usize,
    offset: usize,
    /// Bytes consumed since the start of `bufs`.
    pos: usize,
}

impl<'b> Cursor<'b> {
    fn new(bufs: &'b [Bytes]) -> Self {
        Self {
            bufs,
            index: 0,
            offset: 0,
            pos: 0,
        }
    }

    fn byte(&mut self) -> Option<u8> {
        while self.offset == self.bufs.get(self.index)?.len() {
            self.index += 1;
            self.offset = 0;
        }
        let b = self.bufs[self.index][self.offset];
        self.offset += 1;
        self.pos += 1;
        Some(b)
    }

    /// Reads a server frame's header (RFC 6455 §5.2) and returns the payload length.
    fn next_frame_len(&mut self) -> Option<usize> {
        self.byte()?; // FIN, RSV, opcode
        let extended = match self.byte()? & 0x7f {
            126 => 2,
            127 => 8,
            short => return Some(usize::from(short)),
        };
        let mut len: u64 = 0;
        for _ in 0..extended {
            len = len << 8 | u64::from(self.byte()?);
        }
        usize::try_from(len).ok()
    }

    /// Skips `n` bytes; `false` if the buffers end first.
    fn skip(&mut self, mut n: usize) -> bool {
        while n > 0 {
            let Some(buf) = self.bufs.get(self.index) else {
                return false;
            };
            let step = n.min(buf.len() - self.offset);
            self.offset += step;
            self.pos += step;
            n -= step;
            if self.offset == buf.len() {
                self.index += 1;
                self.offset = 0;
            }
        }
        true
    }
}

/// Bytes `from..to` of the buffers seen as one stream, sharing their memory.
fn slice(bufs: &[Bytes], from: usize, to: usize) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut start = 0;
    for buf in bufs {
        let end = start + buf.len();
        if end > from && start < to {
            out.push(buf.slice(from.max(start) - start..to.min(end) - start));
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc6455::codec::{encode_server_frame, server_frame_header};
    use crate::rfc6455::opcode::OpCode;

    /// Three frames (short, 126-byte, 70,000-byte), the big one as header + payload parts.
    fn frames() -> (Vec<Bytes>, [usize; 3]) {
        let a = encode_server_frame(OpCode::Text, b"hi")
            .unwrap()
            .into_bytes();
        let b = encode_server_frame(OpCode::Text, &[b'b'; 126])
            .unwrap()
            .into_bytes();
        let header = server_frame_header(OpCode::Binary, 70_000).unwrap();
        let payload = Bytes::from(vec![7u8; 70_000]);
        let lens = [a.len(), b.len(), header.len() + payload.len()];
        (vec![a, b, Bytes::new(), header, payload], lens)
    }

    fn joined(bufs: &[Bytes]) -> Vec<u8> {
        bufs.concat()
    }

    #[test]
    fn on_a_frame_boundary_nothing_is_owed() {
        let (bufs, [a, b, c]) = frames();
        for at in [0, a, a + b, a + b + c] {
            assert!(rest_of_frame(&bufs, at).is_empty(), "{at}");
        }
    }

    #[test]
    fn inside_a_frame_exactly_its_rest_is_owed() {
        let (bufs, [a, b, c]) = frames();
        let all = joined(&bufs);
        // Inside the first frame's header, the second's payload, the third's extended
        // length, the third's payload (across the header/payload parts).
        for at in [1, a + 5, a + b + 3, a + b + 9, a + b + c - 1] {
            let end = [a, a + b, a + b + c]
                .into_iter()
                .find(|end| *end > at)
                .unwrap();
            assert_eq!(joined(&rest_of_frame(&bufs, at)), all[at..end], "{at}");
        }
    }
}
