//! QR codes drawn by the widget: the server's matrix (`Action::Qr::matrix`, encoded from the
//! content when the session was made) as one SVG path (no encoder in the wasm, no image host, no
//! HTML strings).

use wallet_checkout_protocol::QrMatrix;

/// A QR code ready to draw: `viewBox="0 0 size size"` and one path of dark modules (quiet zone included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPath {
    pub size: usize,
    pub d: String,
}

/// Modules of white border on each side, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// The path of `matrix`'s dark modules, one horizontal run per command; `None` if it is not a QR's.
pub fn path(matrix: &QrMatrix) -> Option<QrPath> {
    if !matrix.is_valid() {
        return None;
    }
    let width = usize::from(matrix.size);
    let mut d = String::with_capacity(width * width * 3);
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if matrix.is_dark(x, y) {
                let start = x;
                while x < width && matrix.is_dark(x, y) {
                    x += 1;
                }
                push_run(&mut d, start + QUIET_ZONE, y + QUIET_ZONE, x - start);
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

    /// A 21-module matrix with the first row dark, then one dark module at (20, 1).
    fn sample() -> QrMatrix {
        let mut bits = vec![0u8; (21 * 21usize).div_ceil(8)];
        for bit in (0..21).chain([21 + 20]) {
            bits[bit / 8] |= 0x80 >> (bit % 8);
        }
        QrMatrix {
            size: 21,
            dark: bits.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    #[test]
    fn draws_the_matrix_as_runs_inside_the_quiet_zone() {
        let qr = path(&sample()).expect("a QR's matrix");
        assert_eq!(qr.size, 21 + 2 * QUIET_ZONE);
        assert_eq!(qr.d, "M4 4h21v1h-21zM24 5h1v1h-1z");
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut d = String::new();
        push_run(&mut d, 4, 120, 10);
        assert_eq!(d, "M4 120h10v1h-10z");
    }

    #[test]
    fn refuses_what_is_not_a_qr() {
        let good = sample();
        for bad in [
            QrMatrix {
                size: 22,
                ..good.clone()
            },
            QrMatrix {
                size: 181,
                ..good.clone()
            },
            QrMatrix {
                dark: good.dark[1..].into(),
                ..good.clone()
            },
            QrMatrix {
                dark: format!("{}00", good.dark),
                ..good.clone()
            },
            QrMatrix {
                dark: good.dark.to_uppercase().replace('0', "G"),
                ..good.clone()
            },
        ] {
            assert_eq!(path(&bad), None, "{bad:?}");
        }
    }
}
