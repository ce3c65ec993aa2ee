//! The wallets' marks drawn on their buttons (by the embedding code, from `www/words.js`, which the
//! tests generate from here): inline SVG data (no network, no image request, so no
//! `img-src` in the merchant's CSP), decorative beside the name. Alipay's and WeChat's are Simple
//! Icons' (CC0 1.0) in the brands' colours, rounded to a tenth of their 24-unit box; UnionPay's three bands are the first three shapes of
//! `react-svg-credit-card-payment-icons`' logo (Apache-2.0), rounded to whole units.

use wallet_checkout_protocol::Wallet;

/// One mark: its `viewBox` and its shapes as (fill, path data).
#[derive(Debug)]
pub struct Mark {
    pub view_box: &'static str,
    pub shapes: &'static [(&'static str, &'static str)],
}

const ALIPAY: Mark = Mark {
    view_box: "0 0 24 24",
    shapes: &[("#1677FF", "M19.7 15.1c3.4 1.2 4.2 1.2 4.2 1.2V3.8c0-2.1-1.7-3.8-3.8-3.8H3.9C1.8 0 .1 1.7 .1 3.8v16.3c0 2.1 1.7 3.8 3.8 3.8h16.2c2.1 0 3.8-1.7 3.8-3.8v-.2s-6.2-2.6-9.3-4.1c-2.1 2.6-4.8 4.2-7.6 4.2-4.8 0-6.4-4.2-4.1-6.9 .5-.6 1.3-1.2 2.6-1.5 2-.5 5.2 .3 8.3 1.3a16.8 16.8 0 0 0 1.3-3.3H5.8v-1h4.8V7H4.8v-1h5.8V3.6s0-.4 .4-.4h2.3v2.8h5.7v1h-5.7v1.7h4.7a19.5 19.5 0 0 1-2 5.1c1.4 .5 2.7 1 3.7 1.3m-13.8-2c-.6 .1-1.7 .3-2.3 .9-1.8 1.6-.7 4.5 3 4.5 2.2 0 4.3-1.4 6-3.6-2.4-1.2-4.4-2-6.6-1.8")],
};

const WECHAT_PAY: Mark = Mark {
    view_box: "0 0 24 24",
    shapes: &[("#07C160", "M8.7 2.2C3.9 2.2 0 5.5 0 9.5c0 2.2 1.2 4.2 3 5.5a.6 .6 0 0 1 .2 .7l-.4 1.5c0 .1 0 .1 0 .2 0 .2 .1 .3 .3 .3a.3 .3 0 0 0 .2-.1l1.9-1.1a.9 .9 0 0 1 .7-.1 10.2 10.2 0 0 0 2.8 .4c.3 0 .5 0 .8-.1-.9-2.6 .2-5 1.9-6.4 1.7-1.4 3.9-2 5.9-1.8-.6-3.6-4.2-6.3-8.6-6.3zM5.8 6c.6 0 1.2 .5 1.2 1.2a1.2 1.2 0 0 1-1.2 1.2A1.2 1.2 0 0 1 4.6 7.2c0-.7 .5-1.2 1.2-1.2zm5.8 0c.6 0 1.2 .5 1.2 1.2a1.2 1.2 0 0 1-1.2 1.2 1.2 1.2 0 0 1-1.2-1.2c0-.7 .5-1.2 1.2-1.2zm5.3 2.9c-1.8-.1-3.7 .5-5.3 1.8-1.7 1.4-2.7 3.7-1.8 6.2 .9 2.5 3.7 4.2 6.9 4.2 .8 0 1.6-.1 2.4-.3a.7 .7 0 0 1 .6 .1l1.6 .9a.3 .3 0 0 0 .1 0c.1 0 .2-.1 .2-.2 0-.1 0-.1 0-.2l-.3-1.2a.6 .6 0 0 1 0-.2 .5 .5 0 0 1 .2-.4C23 18.5 24 16.8 24 15c0-3.2-2.9-5.8-6.7-6.1V8.9c-.1 0-.3 0-.4 0zm-2.5 3.3c.5 0 1 .4 1 1a1 1 0 0 1-1 1 1 1 0 0 1-1-1c0-.5 .4-1 1-1zm4.8 0c.5 0 1 .4 1 1a1 1 0 0 1-1 1 1 1 0 0 1-1-1c0-.5 .4-1 1-1z")],
};

const UNIONPAY: Mark = Mark {
    view_box: "100 40 580 420",
    shapes: &[
        ("#D10429", "m216 70h142c20 0 32 16 28 36l-66 287c-5 20-25 36-44 36h-142c-20 0-32-16-28-36l66-287c5-20 25-36 44-36z"),
        ("#022E64", "m346 70h164c20 0 11 16 6 36l-66 287c-5 20-3 36-23 36h-164c-20 0-32-16-28-36l66-287c5-20 25-36 44-36z"),
        ("#076F74", "m504 70h142c20 0 32 16 28 36l-66 287c-5 20-25 36-44 36h-142c-20 0-32-16-28-36l66-287c5-20 25-36 44-36z"),
    ],
};

pub fn mark(wallet: Wallet) -> &'static Mark {
    match wallet {
        Wallet::Alipay => &ALIPAY,
        Wallet::WechatPay => &WECHAT_PAY,
        Wallet::Unionpay => &UNIONPAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wallet_has_a_coloured_mark_of_closed_shapes() {
        for w in Wallet::ALL {
            let m = mark(w);
            let nums: Vec<f64> = m
                .view_box
                .split(' ')
                .filter_map(|n| n.parse().ok())
                .collect();
            assert_eq!(nums.len(), 4, "{w:?}: {}", m.view_box);
            assert!(nums[2] > 0.0 && nums[3] > 0.0);
            assert!(!m.shapes.is_empty());
            for (fill, d) in m.shapes {
                assert!(fill.len() == 7 && fill.starts_with('#'), "{w:?}: {fill}");
                assert!(fill[1..].bytes().all(|b| b.is_ascii_hexdigit()));
                assert!(d.starts_with(['M', 'm']), "{w:?}");
                assert!(
                    d.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b" .-".contains(&b)),
                    "{w:?}: path data only"
                );
            }
        }
    }
}
