//! QR codes drawn by the widget itself: `qrcodegen`'s modules as one SVG path (no image host, no HTML strings).

use qrcodegen::{QrCode, QrCodeEcc};

/// A QR code ready to draw: `viewBox="0 0 size size"` and one path of dark modules (quiet zone included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPath {
    pub size: usize,
    pub d: String,
}

/// Modules of white border on each side, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// Encodes `content` with medium error correction; `qrcodegen` lowers it only where that keeps the
/// same version and raises it when it fits (`boost_ecl`), and falls back to low for long payloads.
pub fn encode(content: &str) -> Option<QrPath> {
    let code = QrCode::encode_text(content, QrCodeEcc::Medium)
        .or_else(|_| QrCode::encode_text(content, QrCodeEcc::Low))
        .ok()?;
    let width = code.size();
    let mut d = String::with_capacity((width * width * 3) as usize);
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if code.get_module(x, y) {
                let start = x;
                while x < width && code.get_module(x, y) {
                    x += 1;
                }
                // One horizontal run per command keeps the path short.
                let (x0, y0, run) = (
                    start as usize + QUIET_ZONE,
                    y as usize + QUIET_ZONE,
                    (x - start) as usize,
                );
                push_run(&mut d, x0, y0, run);
            } else {
                x += 1;
            }
        }
    }
    Some(QrPath {
        size: width as usize + 2 * QUIET_ZONE,
        d,
    })
}

/// `M{x} {y}h{run}v1h-{run}z`, written digit by digit (no `format!` machinery in the hot loop).
fn push_run(d: &mut String, x: usize, y: usize, run: usize) {
    d.push('M');
    push_num(d, x);
    d.push(' ');
    push_num(d, y);
    d.push('h');
    push_num(d, run);
    d.push_str("v1h-");
    push_num(d, run);
    d.push('z');
}

fn push_num(d: &mut String, n: usize) {
    if n >= 10 {
        push_num(d, n / 10);
    }
    d.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_url_into_a_square_path() {
        let qr = encode("http://127.0.0.1:8080/sandbox/wallet/1234567890123456789012345")
            .expect("encodes");
        assert!(qr.size >= 21 + 2 * QUIET_ZONE);
        assert!(qr.d.starts_with('M'));
        // The three finder patterns start at the corners: the top-left one is a run of 7 at (4,4).
        assert!(qr.d.starts_with("M4 4h7v1h-7z"), "{}", &qr.d[..20]);
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut d = String::new();
        push_run(&mut d, 4, 120, 10);
        assert_eq!(d, "M4 120h10v1h-10z");
    }

    #[test]
    fn refuses_what_cannot_fit_in_a_qr() {
        assert!(encode(&"x".repeat(5000)).is_none());
    }
}
