//! The scenario catalogue (`catalogue.mjs`) in WebKitGTK: one engine a file, so the three run side by side.
import { catalogue } from "./catalogue.mjs";

catalogue("webkit");
