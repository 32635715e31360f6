// `pcscspy-decode atr`: the ATR breakdown, and the card's names when a card
// list is loaded.
#pragma once

#include "decode/decoded.hpp"
#include "protocol/card_list.hpp"
#include "protocol/hex.hpp"

namespace pcscspy::decode {

// `cards` may be null (no list installed): no names then, and no complaint.
Decoded decode_atr(ByteView atr, const CardList* cards);

}  // namespace pcscspy::decode
