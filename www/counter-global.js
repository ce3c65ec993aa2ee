//! The counter's field as a classic script (the script tag and the iframe page load it with its
//! integrity): `self.WalletCheckoutCounter`.
import { field, stop } from "./counter.js";

self.WalletCheckoutCounter = { field, stop };
