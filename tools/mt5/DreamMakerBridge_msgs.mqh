//+------------------------------------------------------------------+
//| DreamMakerBridge_msgs.mqh                                         |
//| The bridge's messages: written by `dm-mt5 gen-mqh` from           |
//| libcore/mt5/mt5_msgs.def, the description DreamMaker's C code is  |
//| made from.  Do not edit: change the description and run           |
//| `make mt5-gen` (a test fails while this file differs).            |
//| Byte layouts: docs/mt5-bridge.md.  Needs DreamMakerBridge_wire.mqh |
//+------------------------------------------------------------------+
#ifndef DREAMMAKER_BRIDGE_MSGS_MQH
#define DREAMMAKER_BRIDGE_MSGS_MQH

//--- constants
#define DM_PROTO_VERSION        1            // the protocol version of this description (frame header byte 4)
#define DM_FRAME_MAGIC          0x42354d44   // first 4 bytes of every frame: 'D' 'M' '5' 'B'
#define DM_HDR_SIZE             28           // bytes of the frame header
#define DM_PAYLOAD_MAX          4096         // largest payload a frame may declare
#define DM_FF_RESENT            1            // frame flag: a sequenced frame sent again after a resend request or a reconnect
#define DM_NONCE_LEN            32           // bytes of a handshake nonce
#define DM_MAC_LEN              32           // bytes of an HMAC-SHA256
#define DM_BOOK_LEVELS_MAX      64           // book entries a BOOK message may carry
#define DM_SCHEMA_HASH          ((uint)0x7da31acc) // hash of the description: HELLO and CHALLENGE carry it

//--- enumerations and their checks
// side: side of an order, a deal or a position
#define DM_SIDE_BUY                 1    // buy
#define DM_SIDE_SELL                2    // sell
bool DmOkSide(const long v)
  {
   return(v==1 || v==2);
  }

// side_any: a side, or none when a transaction has no order
#define DM_SIDE_ANY_NONE            0    // no side (a transaction of no order of the symbol)
#define DM_SIDE_ANY_BUY             1    // buy
#define DM_SIDE_ANY_SELL            2    // sell
bool DmOkSideAny(const long v)
  {
   return(v==0 || v==1 || v==2);
  }

// kind: order kind
#define DM_KIND_NONE                0    // no order (a report of no order of ours)
#define DM_KIND_MARKET              1    // at the market (TRADE_ACTION_DEAL, ORDER_TYPE_BUY/SELL)
#define DM_KIND_LIMIT               2    // limit (TRADE_ACTION_PENDING, ORDER_TYPE_BUY/SELL_LIMIT)
#define DM_KIND_STOP                3    // stop (ORDER_TYPE_BUY/SELL_STOP)
#define DM_KIND_STOP_LIMIT          4    // stop limit (ORDER_TYPE_BUY/SELL_STOP_LIMIT)
bool DmOkKind(const long v)
  {
   return(v==0 || v==1 || v==2 || v==3 || v==4);
  }

// filling: volume filling policy (ENUM_ORDER_TYPE_FILLING)
#define DM_FILLING_DEFAULT          0    // pending orders RETURN; market orders IOC, else FOK, else RETURN, as the symbol allows
#define DM_FILLING_FOK              1    // fill or kill (ORDER_FILLING_FOK)
#define DM_FILLING_IOC              2    // immediate or cancel (ORDER_FILLING_IOC)
#define DM_FILLING_RETURN           3    // the rest stays as an order (ORDER_FILLING_RETURN)
bool DmOkFilling(const long v)
  {
   return(v==0 || v==1 || v==2 || v==3);
  }

// tif: how long an order lives (ENUM_ORDER_TYPE_TIME)
#define DM_TIF_GTC                  0    // until cancelled (ORDER_TIME_GTC)
#define DM_TIF_DAY                  1    // the trading day (ORDER_TIME_DAY)
#define DM_TIF_SPECIFIED            2    // until expiration_s (ORDER_TIME_SPECIFIED)
#define DM_TIF_SPECIFIED_DAY        3    // until the end of expiration_s's day (ORDER_TIME_SPECIFIED_DAY)
bool DmOkTif(const long v)
  {
   return(v==0 || v==1 || v==2 || v==3);
  }

// event: what a TRADE report says happened
#define DM_EVENT_PLACED             1    // the server accepted the order (it rests or is being executed)
#define DM_EVENT_REJECTED           2    // the server refused the order; retcode says why
#define DM_EVENT_PARTIAL            3    // a deal filled part of the order; leaves_volume_e8 > 0
#define DM_EVENT_FILLED             4    // a deal filled the rest of the order; leaves_volume_e8 = 0
#define DM_EVENT_CANCELLED          5    // the order was cancelled (by us, the server or the exchange)
#define DM_EVENT_EXPIRED            6    // the order expired (DAY, SPECIFIED)
#define DM_EVENT_MODIFIED           7    // the order's price or stops changed
#define DM_EVENT_CANCEL_REJECTED    8    // a cancel was refused; the order stands
#define DM_EVENT_MODIFY_REJECTED    9    // a modification was refused; the order stands unchanged
#define DM_EVENT_OTHER              10   // any other transaction, for the journal (raw fields tell)
bool DmOkEvent(const long v)
  {
   return(v==1 || v==2 || v==3 || v==4 || v==5 || v==6 || v==7 || v==8 || v==9 || v==10);
  }

// book_side: side of a book entry (ENUM_BOOK_TYPE)
#define DM_BOOK_SIDE_BID            1    // a buy order (BOOK_TYPE_BUY)
#define DM_BOOK_SIDE_ASK            2    // a sell order (BOOK_TYPE_SELL)
#define DM_BOOK_SIDE_BID_MARKET     3    // a buy order at the market (BOOK_TYPE_BUY_MARKET)
#define DM_BOOK_SIDE_ASK_MARKET     4    // a sell order at the market (BOOK_TYPE_SELL_MARKET)
bool DmOkBookSide(const long v)
  {
   return(v==1 || v==2 || v==3 || v==4);
  }

// cmd: which command an ORDER_RESULT answers
#define DM_CMD_NEW                  1    // NEW_ORDER
#define DM_CMD_CANCEL               2    // CANCEL
#define DM_CMD_MODIFY               3    // MODIFY
bool DmOkCmd(const long v)
  {
   return(v==1 || v==2 || v==3);
  }

// margin: how the account holds positions (ACCOUNT_MARGIN_MODE)
#define DM_MARGIN_NETTING           1    // one position per symbol (ACCOUNT_MARGIN_MODE_RETAIL_NETTING)
#define DM_MARGIN_EXCHANGE          2    // one position per symbol, exchange rules (ACCOUNT_MARGIN_MODE_EXCHANGE)
#define DM_MARGIN_HEDGING           3    // several positions per symbol (ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
bool DmOkMargin(const long v)
  {
   return(v==1 || v==2 || v==3);
  }

// refuse_reason: why DreamMaker refused a handshake
#define DM_REFUSE_VERSION           1    // another protocol version
#define DM_REFUSE_SCHEMA            2    // the same version from another message description (schema hash)
#define DM_REFUSE_AUTH              3    // the HMAC does not verify: another secret
#define DM_REFUSE_REPLAY            4    // the AUTH answers another challenge than this connection's
#define DM_REFUSE_SYMBOL            5    // no configured symbol maps to the EA's
#define DM_REFUSE_ACCOUNT           6    // the account or server is not the configured one
#define DM_REFUSE_BUSY              7    // another EA already serves this symbol
#define DM_REFUSE_TIMEOUT           8    // the handshake took longer than its timeout
#define DM_REFUSE_PROTOCOL          9    // a frame out of place or malformed during the handshake
bool DmOkRefuseReason(const long v)
  {
   return(v==1 || v==2 || v==3 || v==4 || v==5 || v==6 || v==7 || v==8 || v==9);
  }

// reset_reason: why a sender skips sequence numbers (SEQ_RESET)
#define DM_RESET_OVERFLOW           1    // its resend store overflowed: the oldest unacknowledged frames are gone
#define DM_RESET_RESTART            2    // it restarted and lost its resend store
bool DmOkResetReason(const long v)
  {
   return(v==1 || v==2);
  }

//--- message types, sizes, directions
#define DM_T_HELLO            1    // EA to DreamMaker, unsequenced
#define DM_T_CHALLENGE        2    // DreamMaker to EA, unsequenced
#define DM_T_AUTH             3    // EA to DreamMaker, unsequenced
#define DM_T_ACCEPT           4    // DreamMaker to EA, unsequenced
#define DM_T_REFUSE           5    // DreamMaker to EA, unsequenced
#define DM_T_HEARTBEAT        6    // both to either, unsequenced
#define DM_T_ACK              7    // both to either, unsequenced
#define DM_T_RESEND           8    // both to either, unsequenced
#define DM_T_SEQ_RESET        9    // both to either, unsequenced
#define DM_T_SNAPSHOT_REQ     10   // DreamMaker to EA, unsequenced
#define DM_T_BYE              11   // both to either, unsequenced
#define DM_T_TICK             20   // EA to DreamMaker, unsequenced
#define DM_T_BOOK             21   // EA to DreamMaker, unsequenced
#define DM_T_SNAPSHOT_BEGIN   22   // EA to DreamMaker, unsequenced
#define DM_T_POSITION         23   // EA to DreamMaker, unsequenced
#define DM_T_ORDER            24   // EA to DreamMaker, unsequenced
#define DM_T_SNAPSHOT_END     25   // EA to DreamMaker, unsequenced
#define DM_T_TRADE            30   // EA to DreamMaker, sequenced
#define DM_T_ORDER_RESULT     31   // EA to DreamMaker, sequenced
#define DM_T_NEW_ORDER        40   // DreamMaker to EA, sequenced
#define DM_T_CANCEL           41   // DreamMaker to EA, sequenced
#define DM_T_MODIFY           42   // DreamMaker to EA, sequenced
#define DM_SIZE_FRAME_HDR        28
#define DM_SIZE_BOOK_LEVEL       25
#define DM_FIXED_HELLO            264
#define DM_FIXED_CHALLENGE        38
#define DM_FIXED_AUTH             64
#define DM_FIXED_ACCEPT           80
#define DM_FIXED_REFUSE           102
#define DM_FIXED_HEARTBEAT        24
#define DM_FIXED_ACK              8
#define DM_FIXED_RESEND           8
#define DM_FIXED_SEQ_RESET        12
#define DM_FIXED_SNAPSHOT_REQ     8
#define DM_FIXED_BYE              68
#define DM_FIXED_TICK             68
#define DM_FIXED_BOOK             26
#define DM_FIXED_SNAPSHOT_BEGIN   32
#define DM_FIXED_POSITION         57
#define DM_FIXED_ORDER            67
#define DM_FIXED_SNAPSHOT_END     12
#define DM_FIXED_TRADE            94
#define DM_FIXED_ORDER_RESULT     86
#define DM_FIXED_NEW_ORDER        80
#define DM_FIXED_CANCEL           24
#define DM_FIXED_MODIFY           65

// "HELLO", "TICK"... ("?" for another type)
string DmMsgName(const ushort type)
  {
   switch(type)
     {
      case DM_T_HELLO:
         return("HELLO");
      case DM_T_CHALLENGE:
         return("CHALLENGE");
      case DM_T_AUTH:
         return("AUTH");
      case DM_T_ACCEPT:
         return("ACCEPT");
      case DM_T_REFUSE:
         return("REFUSE");
      case DM_T_HEARTBEAT:
         return("HEARTBEAT");
      case DM_T_ACK:
         return("ACK");
      case DM_T_RESEND:
         return("RESEND");
      case DM_T_SEQ_RESET:
         return("SEQ_RESET");
      case DM_T_SNAPSHOT_REQ:
         return("SNAPSHOT_REQ");
      case DM_T_BYE:
         return("BYE");
      case DM_T_TICK:
         return("TICK");
      case DM_T_BOOK:
         return("BOOK");
      case DM_T_SNAPSHOT_BEGIN:
         return("SNAPSHOT_BEGIN");
      case DM_T_POSITION:
         return("POSITION");
      case DM_T_ORDER:
         return("ORDER");
      case DM_T_SNAPSHOT_END:
         return("SNAPSHOT_END");
      case DM_T_TRADE:
         return("TRADE");
      case DM_T_ORDER_RESULT:
         return("ORDER_RESULT");
      case DM_T_NEW_ORDER:
         return("NEW_ORDER");
      case DM_T_CANCEL:
         return("CANCEL");
      case DM_T_MODIFY:
         return("MODIFY");
     }
   return("?");
  }

// true for a sequenced type (acknowledged, kept and resent)
bool DmMsgSequenced(const ushort type)
  {
   switch(type)
     {
      case DM_T_TRADE:
      case DM_T_ORDER_RESULT:
      case DM_T_NEW_ORDER:
      case DM_T_CANCEL:
      case DM_T_MODIFY:
         return(true);
     }
   return(false);
  }

//--- records and messages
// FRAME_HDR (record): the frame header; payload_len payload bytes follow it
struct DmFrameHdr
  {
   uint    magic; // FRAME_MAGIC: the bytes 'D' 'M' '5' 'B'
   uchar   version; // PROTO_VERSION; bytes 0-4 are the same in every version
   uchar   flags; // FF_RESENT or 0; other bits must be 0
   ushort  type; // message type (the list of messages)
   uint    payload_len; // payload bytes, 0..PAYLOAD_MAX
   ulong   seq; // sequence number: 1, 2, 3... per sender for sequenced messages, 0 for the others
   uint    payload_crc; // CRC32C of the payload (0 for none)
   uint    hdr_crc; // CRC32C of header bytes 0..23
  };

// BOOK_LEVEL (record): one entry of the book
struct DmBookLevel
  {
   uchar   side; // bid, ask, or either at the market
   long    price; // price, points
   ulong   volume; // volume, lots (MqlBookInfo.volume)
   long    volume_real_e8; // volume, lots x 10^8 (MqlBookInfo.volume_real)
  };

// HELLO: the EA's first frame on a connection: who it is and where its streams stand
struct DmHello
  {
   ushort  proto_version; // PROTO_VERSION the EA speaks
   uint    schema_hash; // hash of the message description the EA was built from
   uint    ea_version; // the EA's version, major x 10000 + minor x 100 + patch
   uint    terminal_build; // TERMINAL_BUILD
   uchar   client_nonce[32]; // fresh random bytes; ACCEPT's MAC covers them
   ulong   stream_id; // identity of the EA's sequenced stream: random at the EA's start
   ulong   next_seq; // sequence number of the EA's next new sequenced frame
   ulong   oldest_seq; // oldest sequence number the EA still holds for resending (next_seq when none)
   ulong   cmd_stream_id; // ACCEPT.cmd_stream_id of the command stream the EA last served, 0 none
   ulong   last_cmd_seq; // last command of that stream the EA has carried out, 0 none
   ulong   account_login; // ACCOUNT_LOGIN
   int     server_time_offset_s; // TimeTradeServer() - TimeGMT(), seconds
   uint    digits; // SYMBOL_DIGITS: prices are price x 10^digits
   long    tick_size_pts; // SYMBOL_TRADE_TICK_SIZE, points
   long    tick_value_e8; // SYMBOL_TRADE_TICK_VALUE, account currency per tick per lot x 10^8
   long    contract_size_e8; // SYMBOL_TRADE_CONTRACT_SIZE x 10^8
   long    volume_min_e8; // SYMBOL_VOLUME_MIN, lots x 10^8
   long    volume_step_e8; // SYMBOL_VOLUME_STEP, lots x 10^8
   long    volume_max_e8; // SYMBOL_VOLUME_MAX, lots x 10^8
   uint    book_depth; // SYMBOL_TICKS_BOOKDEPTH
   uint    filling_modes; // SYMBOL_FILLING_MODE bits (1 FOK, 2 IOC)
   uchar   margin_mode; // how the account holds positions
   uchar   trade_allowed; // 1 when the terminal, the account and the EA may trade, else 0
   string  currency; // ACCOUNT_CURRENCY (at most 7 bytes of UTF-8)
   string  server; // ACCOUNT_SERVER (at most 63 bytes of UTF-8)
   string  symbol; // the symbol the EA serves (at most 31 bytes of UTF-8)
  };

// CHALLENGE: DreamMaker's answer to HELLO: a fresh nonce to prove the secret on
struct DmChallenge
  {
   ushort  proto_version; // PROTO_VERSION DreamMaker speaks
   uint    schema_hash; // hash of DreamMaker's message description
   uchar   server_nonce[32]; // fresh random bytes, never sent before
  };

// AUTH: the EA's proof: HMAC-SHA256 over the challenge and its HELLO
struct DmAuth
  {
   uchar   server_nonce[32]; // CHALLENGE.server_nonce, echoed
   uchar   mac[32]; // HMAC-SHA256(secret, "DMT5 auth v1" || server_nonce || HELLO payload bytes)
  };

// ACCEPT: DreamMaker accepts: its own proof, the session's settings and where the streams resume
struct DmAccept
  {
   ulong   resume_seq; // the EA's sequence number DreamMaker expects next: the EA resends from it
   ulong   cmd_stream_id; // identity of DreamMaker's command stream
   ulong   next_cmd_seq; // sequence number of DreamMaker's next new command
   uint    hb_interval_ms; // send something at least this often, ms
   uint    hb_timeout_ms; // a peer silent this long is gone, ms
   uint    backoff_min_ms; // first reconnect delay, ms
   uint    backoff_max_ms; // longest reconnect delay, ms
   long    dm_time_ns; // DreamMaker's wall clock, ns since 1970 (information)
   uchar   mac[32]; // HMAC-SHA256(secret, "DMT5 accept v1" || client_nonce || server_nonce || the payload's first 48 bytes)
  };

// REFUSE: DreamMaker refuses the handshake and closes the connection
struct DmRefuse
  {
   uint    reason; // why
   ushort  supported_version; // the protocol version DreamMaker speaks
   string  detail; // what to do, for the EA's log (never a secret) (at most 95 bytes of UTF-8)
  };

// HEARTBEAT: I am here; what I have received; a time to echo
struct DmHeartbeat
  {
   ulong   time_us; // sender's monotonic clock, us
   ulong   echo_us; // time_us of the last HEARTBEAT received from the peer, 0 none
   ulong   ack_seq; // highest sequence number received in order from the peer, 0 none
  };

// ACK: every sequenced frame up to ack_seq is received (and journaled)
struct DmAck
  {
   ulong   ack_seq; // highest sequence number received in order
  };

// RESEND: a gap: send again every sequenced frame from from_seq on
struct DmResend
  {
   ulong   from_seq; // the first sequence number missing
  };

// SEQ_RESET: the sender cannot resend below next_seq: those frames are lost
struct DmSeqReset
  {
   ulong   next_seq; // sequence number of the sender's next frame
   uint    reason; // why
  };

// SNAPSHOT_REQ: send the positions and open orders of the symbol
struct DmSnapshotReq
  {
   ulong   req_id; // echoed by the snapshot
  };

// BYE: the sender closes the connection on purpose
struct DmBye
  {
   uint    reason; // EA: the REASON_* of OnDeinit; DreamMaker: 0
   string  detail; // for the peer's log (at most 63 bytes of UTF-8)
  };

// TICK: one tick of the symbol (CopyTicks, COPY_TICKS_ALL)
struct DmTick
  {
   ulong   tick_seq; // 1, 2, 3... per tick since the EA started: a gap is a lost tick
   long    time_msc; // MqlTick.time_msc, trade server time
   uint    flags; // MqlTick.flags: 2 bid, 4 ask, 8 last, 16 volume, 32 buy, 64 sell
   long    bid; // MqlTick.bid, points
   long    ask; // MqlTick.ask, points
   long    last; // MqlTick.last, points
   ulong   volume; // MqlTick.volume, lots
   long    volume_real_e8; // MqlTick.volume_real, lots x 10^8
   ulong   ea_us; // GetMicrosecondCount() when the EA took the tick
  };

// BOOK: the symbol's book after a change (OnBookEvent, MarketBookGet), whole
struct DmBook
  {
   ulong   book_seq; // 1, 2, 3... per book event since the EA started: a gap is a lost change
   long    time_msc; // SYMBOL_TIME_MSC at the event, trade server time
   ulong   ea_us; // GetMicrosecondCount() at the event
   ushort  n_levels; // entries that follow, 0..BOOK_LEVELS_MAX
   DmBookLevel levels[64]; // MarketBookGet's entries, in its order (highest price first)
  };

// SNAPSHOT_BEGIN: a snapshot follows: n_positions POSITION then n_orders ORDER, then SNAPSHOT_END
struct DmSnapshotBegin
  {
   ulong   req_id; // SNAPSHOT_REQ.req_id, 0 for the snapshot after ACCEPT
   ulong   last_seq; // the EA's last sequenced frame before the snapshot: the snapshot includes its effects
   uint    n_positions; // POSITION messages that follow
   uint    n_orders; // ORDER messages after them
   long    time_msc; // trade server time of the snapshot
  };

// POSITION: one open position of the symbol
struct DmPosition
  {
   ulong   req_id; // the snapshot's req_id
   ulong   ticket; // POSITION_TICKET
   ulong   coid; // client order id of the order that opened it (its magic), 0 when not ours
   uchar   side; // buy = long, sell = short
   long    volume_e8; // POSITION_VOLUME, lots x 10^8
   long    price_open; // POSITION_PRICE_OPEN, points
   long    time_msc; // POSITION_TIME_MSC
   ulong   magic; // POSITION_MAGIC
  };

// ORDER: one open order of the symbol
struct DmOrder
  {
   ulong   req_id; // the snapshot's req_id
   ulong   ticket; // ORDER_TICKET
   ulong   coid; // client order id (the order's magic, else its comment), 0 when not ours
   uchar   side; // buy or sell
   uchar   kind; // limit, stop, stop limit (market orders being executed: market)
   uchar   raw_state; // ORDER_STATE as MT5 numbers it (information)
   long    price; // ORDER_PRICE_OPEN, points
   long    volume_initial_e8; // ORDER_VOLUME_INITIAL, lots x 10^8
   long    volume_current_e8; // ORDER_VOLUME_CURRENT (not yet filled), lots x 10^8
   long    time_setup_msc; // ORDER_TIME_SETUP_MSC
   ulong   magic; // ORDER_MAGIC
  };

// SNAPSHOT_END: the snapshot is complete
struct DmSnapshotEnd
  {
   ulong   req_id; // the snapshot's req_id
   uint    n_sent; // POSITION and ORDER messages sent; fewer received: ask again
  };

// TRADE: one trade transaction (OnTradeTransaction) of the symbol, matched to its order
struct DmTrade
  {
   ulong   coid; // client order id of the order, 0 when the order is not ours
   uchar   event; // what happened
   uchar   side; // the order's side
   uchar   kind; // the order's kind
   uchar   raw_tx_type; // MqlTradeTransaction.type as MT5 numbers it (information)
   uchar   raw_order_state; // MqlTradeTransaction.order_state as MT5 numbers it (information)
   uchar   raw_deal_type; // MqlTradeTransaction.deal_type as MT5 numbers it (information)
   uint    retcode; // TRADE_RETCODE_* of the request, 0 when none
   uint    request_id; // MqlTradeResult.request_id, 0 when none
   ulong   order; // order ticket, 0 when none
   ulong   deal; // deal ticket (PARTIAL, FILLED), else 0
   ulong   position; // position ticket, 0 when none
   long    price; // the deal's price (PARTIAL, FILLED), else the order's, points
   long    volume_e8; // the deal's volume (PARTIAL, FILLED), else the order's, lots x 10^8
   long    cum_volume_e8; // volume of the order filled so far, lots x 10^8
   long    leaves_volume_e8; // volume of the order not yet filled, lots x 10^8
   long    time_msc; // trade server time of the deal or of the order's change
   ulong   ea_us; // GetMicrosecondCount() when the EA saw the transaction
  };

// ORDER_RESULT: what became of one command: OrderSendAsync's answer, or why the EA did not send it
struct DmOrderResult
  {
   ulong   cmd_seq; // the command's sequence number
   ulong   coid; // the command's client order id
   uchar   cmd; // which command
   uchar   accepted; // 1: handed to the trade server; 0: not sent (retcode, last_error, comment say why)
   uint    retcode; // MqlTradeResult.retcode (TRADE_RETCODE_PLACED when handed over)
   uint    request_id; // MqlTradeResult.request_id: later TRADE reports carry it
   uint    last_error; // GetLastError() when OrderSendAsync returned false, else 0
   ulong   order; // order ticket when already known, else 0
   ulong   echo_dm_us; // the command's dm_us, echoed
   ulong   ea_us; // GetMicrosecondCount() when OrderSendAsync returned
   string  comment; // MqlTradeResult.comment, or the EA's reason (at most 31 bytes of UTF-8)
  };

// NEW_ORDER: place an order; magic = coid and comment = "dm" + coid in 16 hex digits
struct DmNewOrder
  {
   ulong   coid; // client order id (never 0, never reused)
   uchar   side; // buy or sell
   uchar   kind; // market, limit, stop or stop limit (not none)
   uchar   filling; // volume filling policy
   uchar   tif; // lifetime of a pending order
   long    volume_e8; // lots x 10^8 (> 0)
   long    price; // limit or stop price, points; 0 for market
   long    stop_limit; // the limit price a stop limit becomes, points; else 0
   long    sl; // stop loss, points; 0 none
   long    tp; // take profit, points; 0 none
   uint    deviation_pts; // market orders: largest slippage accepted, points
   long    expiration_s; // TIF SPECIFIED(_DAY): expiry, trade server seconds since 1970; else 0
   ulong   position; // hedging accounts: the position ticket this order closes, else 0
   ulong   dm_us; // DreamMaker's monotonic clock at sending, us (ORDER_RESULT echoes it)
  };

// CANCEL: cancel a resting order (TRADE_ACTION_REMOVE)
struct DmCancel
  {
   ulong   coid; // client order id of the order
   ulong   order; // its ticket when known, else 0 (the EA finds it by coid)
   ulong   dm_us; // DreamMaker's monotonic clock at sending, us
  };

// MODIFY: change a resting order's price, stops or lifetime (TRADE_ACTION_MODIFY)
struct DmModify
  {
   ulong   coid; // client order id of the order
   ulong   order; // its ticket when known, else 0 (the EA finds it by coid)
   long    price; // new price, points
   long    stop_limit; // new stop limit price, points; else 0
   long    sl; // stop loss, points; 0 none
   long    tp; // take profit, points; 0 none
   uchar   tif; // lifetime
   long    expiration_s; // expiry for TIF SPECIFIED(_DAY), else 0
   ulong   dm_us; // DreamMaker's monotonic clock at sending, us
  };

//--- encoders and decoders
// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncFrameHdr(uchar &b[],int p,const DmFrameHdr &m)
  {
   p=DmPutU32(b,p,m.magic);
   p=DmPutU8(b,p,m.version);
   p=DmPutU8(b,p,m.flags);
   p=DmPutU16(b,p,m.type);
   p=DmPutU32(b,p,m.payload_len);
   p=DmPutU64(b,p,m.seq);
   p=DmPutU32(b,p,m.payload_crc);
   p=DmPutU32(b,p,m.hdr_crc);
   return(p);
  }

// the DM_SIZE_FRAME_HDR bytes at b[p] into m: false for a value out of range
bool DmDecFrameHdr(const uchar &b[],int p,DmFrameHdr &m)
  {
   m.magic=DmGetU32(b,p);
   p+=4;
   m.version=DmGetU8(b,p);
   p+=1;
   m.flags=DmGetU8(b,p);
   p+=1;
   m.type=DmGetU16(b,p);
   p+=2;
   m.payload_len=DmGetU32(b,p);
   p+=4;
   m.seq=DmGetU64(b,p);
   p+=8;
   m.payload_crc=DmGetU32(b,p);
   p+=4;
   m.hdr_crc=DmGetU32(b,p);
   p+=4;
   return(true);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncBookLevel(uchar &b[],int p,const DmBookLevel &m)
  {
   if(!DmOkBookSide(m.side))
      return(-1);
   p=DmPutU8(b,p,m.side);
   p=DmPutI64(b,p,m.price);
   p=DmPutU64(b,p,m.volume);
   p=DmPutI64(b,p,m.volume_real_e8);
   return(p);
  }

// the DM_SIZE_BOOK_LEVEL bytes at b[p] into m: false for a value out of range
bool DmDecBookLevel(const uchar &b[],int p,DmBookLevel &m)
  {
   m.side=DmGetU8(b,p);
   p+=1;
   if(!DmOkBookSide(m.side))
      return(false);
   m.price=DmGetI64(b,p);
   p+=8;
   m.volume=DmGetU64(b,p);
   p+=8;
   m.volume_real_e8=DmGetI64(b,p);
   p+=8;
   return(true);
  }

// payload bytes of m
int DmSizeHello(const DmHello &m)
  {
   int n=DM_FIXED_HELLO;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncHello(uchar &b[],int p,const DmHello &m)
  {
   p=DmPutU16(b,p,m.proto_version);
   p=DmPutU32(b,p,m.schema_hash);
   p=DmPutU32(b,p,m.ea_version);
   p=DmPutU32(b,p,m.terminal_build);
   p=DmPutBytes(b,p,m.client_nonce,32);
   p=DmPutU64(b,p,m.stream_id);
   p=DmPutU64(b,p,m.next_seq);
   p=DmPutU64(b,p,m.oldest_seq);
   p=DmPutU64(b,p,m.cmd_stream_id);
   p=DmPutU64(b,p,m.last_cmd_seq);
   p=DmPutU64(b,p,m.account_login);
   p=DmPutI32(b,p,m.server_time_offset_s);
   p=DmPutU32(b,p,m.digits);
   p=DmPutI64(b,p,m.tick_size_pts);
   p=DmPutI64(b,p,m.tick_value_e8);
   p=DmPutI64(b,p,m.contract_size_e8);
   p=DmPutI64(b,p,m.volume_min_e8);
   p=DmPutI64(b,p,m.volume_step_e8);
   p=DmPutI64(b,p,m.volume_max_e8);
   p=DmPutU32(b,p,m.book_depth);
   p=DmPutU32(b,p,m.filling_modes);
   if(!DmOkMargin(m.margin_mode))
      return(-1);
   p=DmPutU8(b,p,m.margin_mode);
   p=DmPutU8(b,p,m.trade_allowed);
   p=DmPutText(b,p,m.currency,8);
   p=DmPutText(b,p,m.server,64);
   p=DmPutText(b,p,m.symbol,32);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecHello(const uchar &b[],int p,int n,DmHello &m)
  {
   if(n<DM_FIXED_HELLO)
      return(false);
   int e=p+n;
   m.proto_version=DmGetU16(b,p);
   p+=2;
   m.schema_hash=DmGetU32(b,p);
   p+=4;
   m.ea_version=DmGetU32(b,p);
   p+=4;
   m.terminal_build=DmGetU32(b,p);
   p+=4;
   DmGetBytes(b,p,32,m.client_nonce);
   p+=32;
   m.stream_id=DmGetU64(b,p);
   p+=8;
   m.next_seq=DmGetU64(b,p);
   p+=8;
   m.oldest_seq=DmGetU64(b,p);
   p+=8;
   m.cmd_stream_id=DmGetU64(b,p);
   p+=8;
   m.last_cmd_seq=DmGetU64(b,p);
   p+=8;
   m.account_login=DmGetU64(b,p);
   p+=8;
   m.server_time_offset_s=DmGetI32(b,p);
   p+=4;
   m.digits=DmGetU32(b,p);
   p+=4;
   m.tick_size_pts=DmGetI64(b,p);
   p+=8;
   m.tick_value_e8=DmGetI64(b,p);
   p+=8;
   m.contract_size_e8=DmGetI64(b,p);
   p+=8;
   m.volume_min_e8=DmGetI64(b,p);
   p+=8;
   m.volume_step_e8=DmGetI64(b,p);
   p+=8;
   m.volume_max_e8=DmGetI64(b,p);
   p+=8;
   m.book_depth=DmGetU32(b,p);
   p+=4;
   m.filling_modes=DmGetU32(b,p);
   p+=4;
   m.margin_mode=DmGetU8(b,p);
   p+=1;
   if(!DmOkMargin(m.margin_mode))
      return(false);
   m.trade_allowed=DmGetU8(b,p);
   p+=1;
   if(!DmGetText(b,p,8,m.currency))
      return(false);
   p+=8;
   if(!DmGetText(b,p,64,m.server))
      return(false);
   p+=64;
   if(!DmGetText(b,p,32,m.symbol))
      return(false);
   p+=32;
   return(p==e);
  }

// payload bytes of m
int DmSizeChallenge(const DmChallenge &m)
  {
   int n=DM_FIXED_CHALLENGE;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncChallenge(uchar &b[],int p,const DmChallenge &m)
  {
   p=DmPutU16(b,p,m.proto_version);
   p=DmPutU32(b,p,m.schema_hash);
   p=DmPutBytes(b,p,m.server_nonce,32);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecChallenge(const uchar &b[],int p,int n,DmChallenge &m)
  {
   if(n<DM_FIXED_CHALLENGE)
      return(false);
   int e=p+n;
   m.proto_version=DmGetU16(b,p);
   p+=2;
   m.schema_hash=DmGetU32(b,p);
   p+=4;
   DmGetBytes(b,p,32,m.server_nonce);
   p+=32;
   return(p==e);
  }

// payload bytes of m
int DmSizeAuth(const DmAuth &m)
  {
   int n=DM_FIXED_AUTH;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncAuth(uchar &b[],int p,const DmAuth &m)
  {
   p=DmPutBytes(b,p,m.server_nonce,32);
   p=DmPutBytes(b,p,m.mac,32);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecAuth(const uchar &b[],int p,int n,DmAuth &m)
  {
   if(n<DM_FIXED_AUTH)
      return(false);
   int e=p+n;
   DmGetBytes(b,p,32,m.server_nonce);
   p+=32;
   DmGetBytes(b,p,32,m.mac);
   p+=32;
   return(p==e);
  }

// payload bytes of m
int DmSizeAccept(const DmAccept &m)
  {
   int n=DM_FIXED_ACCEPT;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncAccept(uchar &b[],int p,const DmAccept &m)
  {
   p=DmPutU64(b,p,m.resume_seq);
   p=DmPutU64(b,p,m.cmd_stream_id);
   p=DmPutU64(b,p,m.next_cmd_seq);
   p=DmPutU32(b,p,m.hb_interval_ms);
   p=DmPutU32(b,p,m.hb_timeout_ms);
   p=DmPutU32(b,p,m.backoff_min_ms);
   p=DmPutU32(b,p,m.backoff_max_ms);
   p=DmPutI64(b,p,m.dm_time_ns);
   p=DmPutBytes(b,p,m.mac,32);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecAccept(const uchar &b[],int p,int n,DmAccept &m)
  {
   if(n<DM_FIXED_ACCEPT)
      return(false);
   int e=p+n;
   m.resume_seq=DmGetU64(b,p);
   p+=8;
   m.cmd_stream_id=DmGetU64(b,p);
   p+=8;
   m.next_cmd_seq=DmGetU64(b,p);
   p+=8;
   m.hb_interval_ms=DmGetU32(b,p);
   p+=4;
   m.hb_timeout_ms=DmGetU32(b,p);
   p+=4;
   m.backoff_min_ms=DmGetU32(b,p);
   p+=4;
   m.backoff_max_ms=DmGetU32(b,p);
   p+=4;
   m.dm_time_ns=DmGetI64(b,p);
   p+=8;
   DmGetBytes(b,p,32,m.mac);
   p+=32;
   return(p==e);
  }

// payload bytes of m
int DmSizeRefuse(const DmRefuse &m)
  {
   int n=DM_FIXED_REFUSE;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncRefuse(uchar &b[],int p,const DmRefuse &m)
  {
   if(!DmOkRefuseReason(m.reason))
      return(-1);
   p=DmPutU32(b,p,m.reason);
   p=DmPutU16(b,p,m.supported_version);
   p=DmPutText(b,p,m.detail,96);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecRefuse(const uchar &b[],int p,int n,DmRefuse &m)
  {
   if(n<DM_FIXED_REFUSE)
      return(false);
   int e=p+n;
   m.reason=DmGetU32(b,p);
   p+=4;
   if(!DmOkRefuseReason(m.reason))
      return(false);
   m.supported_version=DmGetU16(b,p);
   p+=2;
   if(!DmGetText(b,p,96,m.detail))
      return(false);
   p+=96;
   return(p==e);
  }

// payload bytes of m
int DmSizeHeartbeat(const DmHeartbeat &m)
  {
   int n=DM_FIXED_HEARTBEAT;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncHeartbeat(uchar &b[],int p,const DmHeartbeat &m)
  {
   p=DmPutU64(b,p,m.time_us);
   p=DmPutU64(b,p,m.echo_us);
   p=DmPutU64(b,p,m.ack_seq);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecHeartbeat(const uchar &b[],int p,int n,DmHeartbeat &m)
  {
   if(n<DM_FIXED_HEARTBEAT)
      return(false);
   int e=p+n;
   m.time_us=DmGetU64(b,p);
   p+=8;
   m.echo_us=DmGetU64(b,p);
   p+=8;
   m.ack_seq=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeAck(const DmAck &m)
  {
   int n=DM_FIXED_ACK;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncAck(uchar &b[],int p,const DmAck &m)
  {
   p=DmPutU64(b,p,m.ack_seq);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecAck(const uchar &b[],int p,int n,DmAck &m)
  {
   if(n<DM_FIXED_ACK)
      return(false);
   int e=p+n;
   m.ack_seq=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeResend(const DmResend &m)
  {
   int n=DM_FIXED_RESEND;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncResend(uchar &b[],int p,const DmResend &m)
  {
   p=DmPutU64(b,p,m.from_seq);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecResend(const uchar &b[],int p,int n,DmResend &m)
  {
   if(n<DM_FIXED_RESEND)
      return(false);
   int e=p+n;
   m.from_seq=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeSeqReset(const DmSeqReset &m)
  {
   int n=DM_FIXED_SEQ_RESET;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncSeqReset(uchar &b[],int p,const DmSeqReset &m)
  {
   p=DmPutU64(b,p,m.next_seq);
   if(!DmOkResetReason(m.reason))
      return(-1);
   p=DmPutU32(b,p,m.reason);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecSeqReset(const uchar &b[],int p,int n,DmSeqReset &m)
  {
   if(n<DM_FIXED_SEQ_RESET)
      return(false);
   int e=p+n;
   m.next_seq=DmGetU64(b,p);
   p+=8;
   m.reason=DmGetU32(b,p);
   p+=4;
   if(!DmOkResetReason(m.reason))
      return(false);
   return(p==e);
  }

// payload bytes of m
int DmSizeSnapshotReq(const DmSnapshotReq &m)
  {
   int n=DM_FIXED_SNAPSHOT_REQ;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncSnapshotReq(uchar &b[],int p,const DmSnapshotReq &m)
  {
   p=DmPutU64(b,p,m.req_id);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecSnapshotReq(const uchar &b[],int p,int n,DmSnapshotReq &m)
  {
   if(n<DM_FIXED_SNAPSHOT_REQ)
      return(false);
   int e=p+n;
   m.req_id=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeBye(const DmBye &m)
  {
   int n=DM_FIXED_BYE;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncBye(uchar &b[],int p,const DmBye &m)
  {
   p=DmPutU32(b,p,m.reason);
   p=DmPutText(b,p,m.detail,64);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecBye(const uchar &b[],int p,int n,DmBye &m)
  {
   if(n<DM_FIXED_BYE)
      return(false);
   int e=p+n;
   m.reason=DmGetU32(b,p);
   p+=4;
   if(!DmGetText(b,p,64,m.detail))
      return(false);
   p+=64;
   return(p==e);
  }

// payload bytes of m
int DmSizeTick(const DmTick &m)
  {
   int n=DM_FIXED_TICK;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncTick(uchar &b[],int p,const DmTick &m)
  {
   p=DmPutU64(b,p,m.tick_seq);
   p=DmPutI64(b,p,m.time_msc);
   p=DmPutU32(b,p,m.flags);
   p=DmPutI64(b,p,m.bid);
   p=DmPutI64(b,p,m.ask);
   p=DmPutI64(b,p,m.last);
   p=DmPutU64(b,p,m.volume);
   p=DmPutI64(b,p,m.volume_real_e8);
   p=DmPutU64(b,p,m.ea_us);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecTick(const uchar &b[],int p,int n,DmTick &m)
  {
   if(n<DM_FIXED_TICK)
      return(false);
   int e=p+n;
   m.tick_seq=DmGetU64(b,p);
   p+=8;
   m.time_msc=DmGetI64(b,p);
   p+=8;
   m.flags=DmGetU32(b,p);
   p+=4;
   m.bid=DmGetI64(b,p);
   p+=8;
   m.ask=DmGetI64(b,p);
   p+=8;
   m.last=DmGetI64(b,p);
   p+=8;
   m.volume=DmGetU64(b,p);
   p+=8;
   m.volume_real_e8=DmGetI64(b,p);
   p+=8;
   m.ea_us=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeBook(const DmBook &m)
  {
   int n=DM_FIXED_BOOK;
   n+=(int)m.n_levels*DM_SIZE_BOOK_LEVEL;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncBook(uchar &b[],int p,const DmBook &m)
  {
   p=DmPutU64(b,p,m.book_seq);
   p=DmPutI64(b,p,m.time_msc);
   p=DmPutU64(b,p,m.ea_us);
   p=DmPutU16(b,p,m.n_levels);
   if(m.n_levels>DM_BOOK_LEVELS_MAX)
      return(-1);
   for(int i=0; i<(int)m.n_levels; i++)
     {
      p=DmEncBookLevel(b,p,m.levels[i]);
      if(p<0)
         return(-1);
     }
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecBook(const uchar &b[],int p,int n,DmBook &m)
  {
   if(n<DM_FIXED_BOOK)
      return(false);
   int e=p+n;
   m.book_seq=DmGetU64(b,p);
   p+=8;
   m.time_msc=DmGetI64(b,p);
   p+=8;
   m.ea_us=DmGetU64(b,p);
   p+=8;
   m.n_levels=DmGetU16(b,p);
   p+=2;
   if(m.n_levels>DM_BOOK_LEVELS_MAX || e-p!=(int)m.n_levels*DM_SIZE_BOOK_LEVEL)
      return(false);
   for(int i=0; i<(int)m.n_levels; i++)
     {
      if(!DmDecBookLevel(b,p,m.levels[i]))
         return(false);
      p+=DM_SIZE_BOOK_LEVEL;
     }
   return(p==e);
  }

// payload bytes of m
int DmSizeSnapshotBegin(const DmSnapshotBegin &m)
  {
   int n=DM_FIXED_SNAPSHOT_BEGIN;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncSnapshotBegin(uchar &b[],int p,const DmSnapshotBegin &m)
  {
   p=DmPutU64(b,p,m.req_id);
   p=DmPutU64(b,p,m.last_seq);
   p=DmPutU32(b,p,m.n_positions);
   p=DmPutU32(b,p,m.n_orders);
   p=DmPutI64(b,p,m.time_msc);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecSnapshotBegin(const uchar &b[],int p,int n,DmSnapshotBegin &m)
  {
   if(n<DM_FIXED_SNAPSHOT_BEGIN)
      return(false);
   int e=p+n;
   m.req_id=DmGetU64(b,p);
   p+=8;
   m.last_seq=DmGetU64(b,p);
   p+=8;
   m.n_positions=DmGetU32(b,p);
   p+=4;
   m.n_orders=DmGetU32(b,p);
   p+=4;
   m.time_msc=DmGetI64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizePosition(const DmPosition &m)
  {
   int n=DM_FIXED_POSITION;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncPosition(uchar &b[],int p,const DmPosition &m)
  {
   p=DmPutU64(b,p,m.req_id);
   p=DmPutU64(b,p,m.ticket);
   p=DmPutU64(b,p,m.coid);
   if(!DmOkSide(m.side))
      return(-1);
   p=DmPutU8(b,p,m.side);
   p=DmPutI64(b,p,m.volume_e8);
   p=DmPutI64(b,p,m.price_open);
   p=DmPutI64(b,p,m.time_msc);
   p=DmPutU64(b,p,m.magic);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecPosition(const uchar &b[],int p,int n,DmPosition &m)
  {
   if(n<DM_FIXED_POSITION)
      return(false);
   int e=p+n;
   m.req_id=DmGetU64(b,p);
   p+=8;
   m.ticket=DmGetU64(b,p);
   p+=8;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.side=DmGetU8(b,p);
   p+=1;
   if(!DmOkSide(m.side))
      return(false);
   m.volume_e8=DmGetI64(b,p);
   p+=8;
   m.price_open=DmGetI64(b,p);
   p+=8;
   m.time_msc=DmGetI64(b,p);
   p+=8;
   m.magic=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeOrder(const DmOrder &m)
  {
   int n=DM_FIXED_ORDER;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncOrder(uchar &b[],int p,const DmOrder &m)
  {
   p=DmPutU64(b,p,m.req_id);
   p=DmPutU64(b,p,m.ticket);
   p=DmPutU64(b,p,m.coid);
   if(!DmOkSide(m.side))
      return(-1);
   p=DmPutU8(b,p,m.side);
   if(!DmOkKind(m.kind))
      return(-1);
   p=DmPutU8(b,p,m.kind);
   p=DmPutU8(b,p,m.raw_state);
   p=DmPutI64(b,p,m.price);
   p=DmPutI64(b,p,m.volume_initial_e8);
   p=DmPutI64(b,p,m.volume_current_e8);
   p=DmPutI64(b,p,m.time_setup_msc);
   p=DmPutU64(b,p,m.magic);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecOrder(const uchar &b[],int p,int n,DmOrder &m)
  {
   if(n<DM_FIXED_ORDER)
      return(false);
   int e=p+n;
   m.req_id=DmGetU64(b,p);
   p+=8;
   m.ticket=DmGetU64(b,p);
   p+=8;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.side=DmGetU8(b,p);
   p+=1;
   if(!DmOkSide(m.side))
      return(false);
   m.kind=DmGetU8(b,p);
   p+=1;
   if(!DmOkKind(m.kind))
      return(false);
   m.raw_state=DmGetU8(b,p);
   p+=1;
   m.price=DmGetI64(b,p);
   p+=8;
   m.volume_initial_e8=DmGetI64(b,p);
   p+=8;
   m.volume_current_e8=DmGetI64(b,p);
   p+=8;
   m.time_setup_msc=DmGetI64(b,p);
   p+=8;
   m.magic=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeSnapshotEnd(const DmSnapshotEnd &m)
  {
   int n=DM_FIXED_SNAPSHOT_END;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncSnapshotEnd(uchar &b[],int p,const DmSnapshotEnd &m)
  {
   p=DmPutU64(b,p,m.req_id);
   p=DmPutU32(b,p,m.n_sent);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecSnapshotEnd(const uchar &b[],int p,int n,DmSnapshotEnd &m)
  {
   if(n<DM_FIXED_SNAPSHOT_END)
      return(false);
   int e=p+n;
   m.req_id=DmGetU64(b,p);
   p+=8;
   m.n_sent=DmGetU32(b,p);
   p+=4;
   return(p==e);
  }

// payload bytes of m
int DmSizeTrade(const DmTrade &m)
  {
   int n=DM_FIXED_TRADE;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncTrade(uchar &b[],int p,const DmTrade &m)
  {
   p=DmPutU64(b,p,m.coid);
   if(!DmOkEvent(m.event))
      return(-1);
   p=DmPutU8(b,p,m.event);
   if(!DmOkSideAny(m.side))
      return(-1);
   p=DmPutU8(b,p,m.side);
   if(!DmOkKind(m.kind))
      return(-1);
   p=DmPutU8(b,p,m.kind);
   p=DmPutU8(b,p,m.raw_tx_type);
   p=DmPutU8(b,p,m.raw_order_state);
   p=DmPutU8(b,p,m.raw_deal_type);
   p=DmPutU32(b,p,m.retcode);
   p=DmPutU32(b,p,m.request_id);
   p=DmPutU64(b,p,m.order);
   p=DmPutU64(b,p,m.deal);
   p=DmPutU64(b,p,m.position);
   p=DmPutI64(b,p,m.price);
   p=DmPutI64(b,p,m.volume_e8);
   p=DmPutI64(b,p,m.cum_volume_e8);
   p=DmPutI64(b,p,m.leaves_volume_e8);
   p=DmPutI64(b,p,m.time_msc);
   p=DmPutU64(b,p,m.ea_us);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecTrade(const uchar &b[],int p,int n,DmTrade &m)
  {
   if(n<DM_FIXED_TRADE)
      return(false);
   int e=p+n;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.event=DmGetU8(b,p);
   p+=1;
   if(!DmOkEvent(m.event))
      return(false);
   m.side=DmGetU8(b,p);
   p+=1;
   if(!DmOkSideAny(m.side))
      return(false);
   m.kind=DmGetU8(b,p);
   p+=1;
   if(!DmOkKind(m.kind))
      return(false);
   m.raw_tx_type=DmGetU8(b,p);
   p+=1;
   m.raw_order_state=DmGetU8(b,p);
   p+=1;
   m.raw_deal_type=DmGetU8(b,p);
   p+=1;
   m.retcode=DmGetU32(b,p);
   p+=4;
   m.request_id=DmGetU32(b,p);
   p+=4;
   m.order=DmGetU64(b,p);
   p+=8;
   m.deal=DmGetU64(b,p);
   p+=8;
   m.position=DmGetU64(b,p);
   p+=8;
   m.price=DmGetI64(b,p);
   p+=8;
   m.volume_e8=DmGetI64(b,p);
   p+=8;
   m.cum_volume_e8=DmGetI64(b,p);
   p+=8;
   m.leaves_volume_e8=DmGetI64(b,p);
   p+=8;
   m.time_msc=DmGetI64(b,p);
   p+=8;
   m.ea_us=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeOrderResult(const DmOrderResult &m)
  {
   int n=DM_FIXED_ORDER_RESULT;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncOrderResult(uchar &b[],int p,const DmOrderResult &m)
  {
   p=DmPutU64(b,p,m.cmd_seq);
   p=DmPutU64(b,p,m.coid);
   if(!DmOkCmd(m.cmd))
      return(-1);
   p=DmPutU8(b,p,m.cmd);
   p=DmPutU8(b,p,m.accepted);
   p=DmPutU32(b,p,m.retcode);
   p=DmPutU32(b,p,m.request_id);
   p=DmPutU32(b,p,m.last_error);
   p=DmPutU64(b,p,m.order);
   p=DmPutU64(b,p,m.echo_dm_us);
   p=DmPutU64(b,p,m.ea_us);
   p=DmPutText(b,p,m.comment,32);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecOrderResult(const uchar &b[],int p,int n,DmOrderResult &m)
  {
   if(n<DM_FIXED_ORDER_RESULT)
      return(false);
   int e=p+n;
   m.cmd_seq=DmGetU64(b,p);
   p+=8;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.cmd=DmGetU8(b,p);
   p+=1;
   if(!DmOkCmd(m.cmd))
      return(false);
   m.accepted=DmGetU8(b,p);
   p+=1;
   m.retcode=DmGetU32(b,p);
   p+=4;
   m.request_id=DmGetU32(b,p);
   p+=4;
   m.last_error=DmGetU32(b,p);
   p+=4;
   m.order=DmGetU64(b,p);
   p+=8;
   m.echo_dm_us=DmGetU64(b,p);
   p+=8;
   m.ea_us=DmGetU64(b,p);
   p+=8;
   if(!DmGetText(b,p,32,m.comment))
      return(false);
   p+=32;
   return(p==e);
  }

// payload bytes of m
int DmSizeNewOrder(const DmNewOrder &m)
  {
   int n=DM_FIXED_NEW_ORDER;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncNewOrder(uchar &b[],int p,const DmNewOrder &m)
  {
   p=DmPutU64(b,p,m.coid);
   if(!DmOkSide(m.side))
      return(-1);
   p=DmPutU8(b,p,m.side);
   if(!DmOkKind(m.kind))
      return(-1);
   p=DmPutU8(b,p,m.kind);
   if(!DmOkFilling(m.filling))
      return(-1);
   p=DmPutU8(b,p,m.filling);
   if(!DmOkTif(m.tif))
      return(-1);
   p=DmPutU8(b,p,m.tif);
   p=DmPutI64(b,p,m.volume_e8);
   p=DmPutI64(b,p,m.price);
   p=DmPutI64(b,p,m.stop_limit);
   p=DmPutI64(b,p,m.sl);
   p=DmPutI64(b,p,m.tp);
   p=DmPutU32(b,p,m.deviation_pts);
   p=DmPutI64(b,p,m.expiration_s);
   p=DmPutU64(b,p,m.position);
   p=DmPutU64(b,p,m.dm_us);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecNewOrder(const uchar &b[],int p,int n,DmNewOrder &m)
  {
   if(n<DM_FIXED_NEW_ORDER)
      return(false);
   int e=p+n;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.side=DmGetU8(b,p);
   p+=1;
   if(!DmOkSide(m.side))
      return(false);
   m.kind=DmGetU8(b,p);
   p+=1;
   if(!DmOkKind(m.kind))
      return(false);
   m.filling=DmGetU8(b,p);
   p+=1;
   if(!DmOkFilling(m.filling))
      return(false);
   m.tif=DmGetU8(b,p);
   p+=1;
   if(!DmOkTif(m.tif))
      return(false);
   m.volume_e8=DmGetI64(b,p);
   p+=8;
   m.price=DmGetI64(b,p);
   p+=8;
   m.stop_limit=DmGetI64(b,p);
   p+=8;
   m.sl=DmGetI64(b,p);
   p+=8;
   m.tp=DmGetI64(b,p);
   p+=8;
   m.deviation_pts=DmGetU32(b,p);
   p+=4;
   m.expiration_s=DmGetI64(b,p);
   p+=8;
   m.position=DmGetU64(b,p);
   p+=8;
   m.dm_us=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeCancel(const DmCancel &m)
  {
   int n=DM_FIXED_CANCEL;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncCancel(uchar &b[],int p,const DmCancel &m)
  {
   p=DmPutU64(b,p,m.coid);
   p=DmPutU64(b,p,m.order);
   p=DmPutU64(b,p,m.dm_us);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecCancel(const uchar &b[],int p,int n,DmCancel &m)
  {
   if(n<DM_FIXED_CANCEL)
      return(false);
   int e=p+n;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.order=DmGetU64(b,p);
   p+=8;
   m.dm_us=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

// payload bytes of m
int DmSizeModify(const DmModify &m)
  {
   int n=DM_FIXED_MODIFY;
   return(n);
  }

// m at b[p]: the position after it, or -1 for a value DreamMaker refuses
int DmEncModify(uchar &b[],int p,const DmModify &m)
  {
   p=DmPutU64(b,p,m.coid);
   p=DmPutU64(b,p,m.order);
   p=DmPutI64(b,p,m.price);
   p=DmPutI64(b,p,m.stop_limit);
   p=DmPutI64(b,p,m.sl);
   p=DmPutI64(b,p,m.tp);
   if(!DmOkTif(m.tif))
      return(-1);
   p=DmPutU8(b,p,m.tif);
   p=DmPutI64(b,p,m.expiration_s);
   p=DmPutU64(b,p,m.dm_us);
   return(p);
  }

// the n payload bytes at b[p] into m: false for a payload DreamMaker would not send
bool DmDecModify(const uchar &b[],int p,int n,DmModify &m)
  {
   if(n<DM_FIXED_MODIFY)
      return(false);
   int e=p+n;
   m.coid=DmGetU64(b,p);
   p+=8;
   m.order=DmGetU64(b,p);
   p+=8;
   m.price=DmGetI64(b,p);
   p+=8;
   m.stop_limit=DmGetI64(b,p);
   p+=8;
   m.sl=DmGetI64(b,p);
   p+=8;
   m.tp=DmGetI64(b,p);
   p+=8;
   m.tif=DmGetU8(b,p);
   p+=1;
   if(!DmOkTif(m.tif))
      return(false);
   m.expiration_s=DmGetI64(b,p);
   p+=8;
   m.dm_us=DmGetU64(b,p);
   p+=8;
   return(p==e);
  }

#endif // DREAMMAKER_BRIDGE_MSGS_MQH
