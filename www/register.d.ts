//! Type declarations for `wallet-checkout/register` (register.js): it only defines `<wallet-checkout>`; importing index.js brings the element's global types.
import "./index.js";

export {};
