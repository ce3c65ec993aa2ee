//! QR codes drawn by the widget itself: the `qrcode` crate's modules as one SVG path (no image host, no HTML strings).

use qrcode::{Color, EcLevel, QrCode};

/// A QR code ready to draw: `viewBox="0 0 size size"` and one path of dark modules (quiet zone included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPath {
    pub size: usize,
    pub d: String,
}

/// Modules of white border on each side, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// Encodes `content` (medium error correction, falling back to low for long payloads).
pub fn encode(content: &str) -> Option<QrPath> {
    let code = QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(content.as_bytes(), EcLevel::L))
        .ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut d = String::with_capacity(width * width * 3);
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == Color::Dark {
                    x += 1;
                }
                // One horizontal run per command keeps the path short.
                d.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            } else {
                x += 1;
            }
        }
    }
    Some(QrPath {
        size: width + 2 * QUIET_ZONE,
        d,
    })
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
    fn refuses_what_cannot_fit_in_a_qr() {
        assert!(encode(&"x".repeat(5000)).is_none());
    }
}
