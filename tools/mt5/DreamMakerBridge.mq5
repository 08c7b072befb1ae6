//+------------------------------------------------------------------+
//| DreamMakerBridge.mq5                                             |
//| DreamMaker's bridge inside MetaTrader 5.                         |
//|                                                                  |
//| Connects to DreamMaker over TCP (MQL5 sockets are client-only),  |
//| proves the shared secret (HMAC-SHA256 challenge-response), then  |
//| sends the symbol's ticks, its book, every trade transaction      |
//| matched to DreamMaker's client order id, positions and orders on |
//| connect and on request, and heartbeats; and places the orders,   |
//| cancels and modifications DreamMaker sends, with OrderSendAsync. |
//| Reports are kept until DreamMaker acknowledges them and sent     |
//| again after a reconnect.                                         |
//|                                                                  |
//| The protocol is docs/mt5-bridge.md; the message layouts come     |
//| from DreamMakerBridge_msgs.mqh, generated from the description   |
//| DreamMaker's own C code is made from.                            |
//|                                                                  |
//| Install: copy this file, DreamMakerBridge_wire.mqh and           |
//| DreamMakerBridge_msgs.mqh to MQL5\Experts\DreamMaker\, the key   |
//| file to MQL5\Files\, allow the host in Tools > Options > Expert  |
//| Advisors ("Allow WebRequest for listed URL"), compile, attach to |
//| a chart of the symbol with Algo Trading on.                      |
//+------------------------------------------------------------------+
#property copyright   "DreamMaker"
#property version     "1.00"
#property description "DreamMaker's bridge: market data and trade reports out, orders in."
#property description "Allow the host in Tools > Options > Expert Advisors (WebRequest list)."

#include "DreamMakerBridge_wire.mqh"

#define EA_VERSION      10000     // 1.00.00: major x 10000 + minor x 100 + patch
#define DM_RECENT       16        // challenge nonces remembered against replays
#define DM_MAP          4096      // orders the EA remembers (coid, ticket, request)
#define DM_SLOT         512       // bytes per kept report: TRADE and ORDER_RESULT fit
#define DM_MAX_ERRORS   16        // bad frames tolerated within a heartbeat timeout
#define DM_HS_TIMEOUT_MS 5000     // HELLO to ACCEPT

//--- inputs (docs/mt5-bridge.md, "The Expert Advisor")
input string Host           = "127.0.0.1";               // DreamMaker, or the tunnel's local end
input uint   Port           = 18625;                     // its port
input bool   UseTls         = false;                     // TLS to a terminator (SocketTlsHandshake)
input string SecretFile     = "DreamMakerBridge.secret"; // the key, in MQL5\Files
input bool   SecretInCommon = false;                     // ... or in the common data folder
input string TradeSymbol    = "";                        // the symbol to serve; "" = the chart's
input int    TimerMs        = 5;                         // socket polling period, ms
input int    ResendSlots    = 4096;                      // reports kept until acknowledged
input uint   Deviation      = 0;                         // market orders' slippage, points, when the command gives none

//--- connection states
enum EaState
  {
   ST_DOWN,           // no socket; a reconnect is due at g_retry_at_us
   ST_WAIT_CHALLENGE, // HELLO sent
   ST_WAIT_ACCEPT,    // AUTH sent
   ST_READY           // the session runs
  };

//--- the symbol
string g_sym;
int    g_digits;
double g_pow;                 // 10^digits: price -> points

//--- the key and the handshake
uchar  g_key[];
uchar  g_client_nonce[32];
uchar  g_server_nonce[32];
uchar  g_hello[];             // the HELLO payload as sent: AUTH's MAC covers it
uchar  g_recent[];            // DM_RECENT challenge nonces seen, 32 bytes each
int    g_n_recent=0;
ulong  g_nonce_ctr=0;

//--- the connection
int     g_sock=INVALID_HANDLE;
EaState g_state=ST_DOWN;
uchar   g_tx[];               // bytes queued for the socket
int     g_tx_len=0;
ulong   g_conn_at_us=0;       // when the connection was made
ulong   g_ready_at_us=0;
ulong   g_last_rx_us=0, g_last_tx_us=0;
ulong   g_peer_time_us=0;     // the peer's last HEARTBEAT time_us, echoed
int     g_errors=0;           // bad frames since g_errors_at_us
ulong   g_errors_at_us=0;
ulong   g_retry_at_us=0;
uint    g_attempt=0;

//--- settings ACCEPT gives (these until the first)
uint g_hb_interval_ms=1000, g_hb_timeout_ms=5000, g_backoff_min_ms=500, g_backoff_max_ms=30000;

//--- the EA's sequenced stream (TRADE, ORDER_RESULT), kept until acknowledged
ulong g_stream_id=0;
ulong g_next_seq=1;           // number of the next new report
uchar g_rs[];                 // ResendSlots slots of DM_SLOT bytes: a ring
int   g_rs_len[];
ulong g_rs_seq[];
int   g_rs_first=0;           // slot of the oldest kept report
int   g_rs_count=0;

//--- DreamMaker's command stream
ulong g_cmd_stream=0;         // ACCEPT.cmd_stream_id served
ulong g_cmd_done=0;           // last command carried out
ulong g_cmd_next=1;           // the number expected next
ulong g_cmd_asked=0;          // a RESEND from this number is out

//--- market data
long  g_tick_msc=0;           // time_msc of the last tick sent
int   g_tick_same=0;          // ticks sent at that millisecond
ulong g_tick_seq=0;
ulong g_book_seq=0;

//--- the orders the EA placed: coid, ticket, request, volumes
ulong g_o_coid[];
ulong g_o_ticket[];
uint  g_o_req[];
uchar g_o_cmd[];              // the DM_CMD_NEW, _CANCEL or _MODIFY last asked for it
uchar g_o_side[];
uchar g_o_kind[];
long  g_o_vol[];              // lots x 10^8 ordered
long  g_o_cum[];              // lots x 10^8 filled
bool  g_o_modify[];           // a modification is pending
int   g_o_next=0;             // ring: the slot taken next
ulong g_deals[];              // deal tickets already reported (a deal counts once)
int   g_deals_next=0;

//+------------------------------------------------------------------+
//| small helpers                                                    |
//+------------------------------------------------------------------+
ulong NowUs()
  {
   return(GetMicrosecondCount());
  }

long ToPts(const double price)
  {
   return((long)MathRound(price*g_pow));
  }

double FromPts(const long pts)
  {
   return(NormalizeDouble((double)pts/g_pow,g_digits));
  }

long ToE8(const double v)
  {
   return((long)MathRound(v*100000000.0));
  }

double FromE8(const long v)
  {
   return(NormalizeDouble((double)v/100000000.0,8));
  }

string Hex64(ulong v)
  {
   string s="";
   for(int i=15; i>=0; i--)
      s+=StringSubstr("0123456789abcdef",(int)((v>>(4*i))&0xF),1);
   return(s);
  }

// the order comment that carries a coid: "dm" + 16 hex digits
string CoidComment(ulong coid)
  {
   return("dm"+Hex64(coid));
  }

// the coid a comment carries, 0 when none
ulong CommentCoid(const string c)
  {
   if(StringLen(c)!=18 || StringSubstr(c,0,2)!="dm")
      return(0);
   ulong v=0;
   for(int i=2; i<18; i++)
     {
      ushort ch=StringGetCharacter(c,i);
      int d=(ch>='0' && ch<='9') ? ch-'0' : (ch>='a' && ch<='f') ? ch-'a'+10 : -1;
      if(d<0)
         return(0);
      v=(v<<4)|(ulong)d;
     }
   return(v);
  }

// a magic that is a coid: DreamMaker's ids are epoch << 40 | n with an
// epoch of at least 1; other programs' magics are small numbers
ulong MagicCoid(const long magic)
  {
   return(((ulong)magic>=((ulong)1<<40)) ? (ulong)magic : 0);
  }

// 32 fresh bytes into out (a dynamic array): SHA-256 over the clocks, a counter, the account and the
// previous output.  MQL5 has no random source of cryptographic quality;
// DreamMaker's nonce carries the freshness of AUTH, this one that of
// ACCEPT, so it must only never repeat.
uchar g_nonce_state[];
void FreshBytes(uchar &out[])
  {
   uchar m[];
   DmAppend(m,g_nonce_state,0,ArraySize(g_nonce_state));
   g_nonce_ctr++;
   DmAppendText(m,StringFormat("%I64u|%I64u|%I64u|%I64d|%I64d|%I64d|%d|%d|%d|%d",
                               GetMicrosecondCount(),GetTickCount64(),g_nonce_ctr,
                               (long)TimeLocal(),(long)TimeGMT(),
                               AccountInfoInteger(ACCOUNT_LOGIN),MathRand(),MathRand(),
                               MathRand(),MathRand()));
   DmSha256(m,out);
   ArrayResize(g_nonce_state,0);
   DmAppend(g_nonce_state,out,0,32);
  }

// the key's fingerprint, as `dm-mt5 check-secret` prints it
string Fingerprint()
  {
   uchar m[],d[];
   DmAppendText(m,"DMT5 fingerprint v1");
   DmAppend(m,g_key,0,ArraySize(g_key));
   DmSha256(m,d);
   ArrayInitialize(m,0);
   string s="";
   for(int i=0; i<8; i++)
      s+=StringFormat("%02x",d[i]);
   return(s);
  }

// The key file: 64 to 128 hex digits, blanks around them, nothing else
// (the same rule as DreamMaker's).  Never printed.
bool LoadKey()
  {
   int flags=FILE_READ|FILE_BIN|(SecretInCommon ? FILE_COMMON : 0);
   int h=FileOpen(SecretFile,flags);
   if(h==INVALID_HANDLE)
     {
      PrintFormat("DreamMakerBridge: cannot open the key file %s in %s (error %d): copy "
                  "the file `dm-mt5 new-secret` made there",SecretFile,
                  SecretInCommon ? "the common Files folder" : "MQL5\\Files",GetLastError());
      return(false);
     }
   uchar raw[];
   int n=(int)FileSize(h);
   if(n>4096)
      n=0;
   if(n>0)
      FileReadArray(h,raw,0,n);
   FileClose(h);
   int a=0,b=n;
   while(a<b && (raw[a]==' ' || raw[a]=='\t' || raw[a]=='\r' || raw[a]=='\n'))
      a++;
   while(b>a && (raw[b-1]==' ' || raw[b-1]=='\t' || raw[b-1]=='\r' || raw[b-1]=='\n'))
      b--;
   int digits=b-a;
   bool ok=(digits%2==0 && digits>=64 && digits<=128);
   ArrayResize(g_key,ok ? digits/2 : 0);
   for(int i=0; ok && i<digits; i+=2)
     {
      int hi=HexVal(raw[a+i]),lo=HexVal(raw[a+i+1]);
      if(hi<0 || lo<0)
         ok=false;
      else
         g_key[i/2]=(uchar)(hi*16+lo);
     }
   ArrayInitialize(raw,0);
   if(!ok)
     {
      ArrayInitialize(g_key,0);
      ArrayResize(g_key,0);
      PrintFormat("DreamMakerBridge: %s is not a key: it must hold 64 to 128 hex digits "
                  "and nothing else",SecretFile);
     }
   return(ok);
  }

int HexVal(const uchar c)
  {
   if(c>='0' && c<='9')
      return(c-'0');
   if(c>='a' && c<='f')
      return(c-'a'+10);
   if(c>='A' && c<='F')
      return(c-'A'+10);
   return(-1);
  }

//+------------------------------------------------------------------+
//| the socket                                                       |
//+------------------------------------------------------------------+
// queue a whole frame; Flush sends what the socket takes
void TxQueue(const uchar &f[],int n)
  {
   DmEnsure(g_tx,g_tx_len+n);
   for(int i=0; i<n; i++)
      g_tx[g_tx_len+i]=f[i];
   g_tx_len+=n;
  }

void Flush()
  {
   if(g_sock==INVALID_HANDLE || g_tx_len==0)
      return;
   int sent=UseTls ? SocketTlsSend(g_sock,g_tx,(uint)g_tx_len)
                   : SocketSend(g_sock,g_tx,(uint)g_tx_len);
   if(sent<0)
     {
      Drop(StringFormat("send failed (error %d)",GetLastError()));
      return;
     }
   // a partial send keeps the rest, in order, for the next call
   for(int i=sent; i<g_tx_len; i++)
      g_tx[i-sent]=g_tx[i];
   g_tx_len-=sent;
   if(sent>0)
      g_last_tx_us=NowUs();
  }

// close and plan the next attempt after delay_ms (backoff when < 0)
void Close(const string why,long delay_ms)
  {
   if(g_sock!=INVALID_HANDLE)
     {
      int s=g_sock;
      g_sock=INVALID_HANDLE;  // first: Close may be reached from a failed send
      SocketClose(s);
     }
   if(g_state==ST_READY && NowUs()-g_ready_at_us>(ulong)g_hb_timeout_ms*1000)
      g_attempt=0;            // a session that lasted: start the backoff over
   g_state=ST_DOWN;
   g_tx_len=0;
   DmRxReset();
   if(delay_ms<0)
      delay_ms=Backoff(g_attempt++);
   g_retry_at_us=NowUs()+(ulong)delay_ms*1000;
   PrintFormat("DreamMakerBridge: disconnected: %s; next attempt in %I64d ms",why,delay_ms);
  }

void Drop(const string why)
  {
   Close(why,-1);
  }

// min x 2^attempt capped at max, drawn in its upper half (mt5_backoff_ns)
long Backoff(uint attempt)
  {
   long lo=(long)g_backoff_min_ms,hi=(long)g_backoff_max_ms;
   long d=lo>0 ? lo : 1;
   for(uint i=0; i<attempt && d<hi; i++)
      d=(d>hi/2) ? hi : 2*d;
   if(d>hi)
      d=hi;
   long half=d/2;
   long r=(long)MathRand()*32768+MathRand();
   return(half+r%(d-half+1));
  }

void Connect()
  {
   g_sock=SocketCreate();
   if(g_sock==INVALID_HANDLE)
     {
      Close(StringFormat("SocketCreate failed (error %d)",GetLastError()),-1);
      return;
     }
   if(!SocketConnect(g_sock,Host,Port,1000))
     {
      int e=GetLastError();
      SocketClose(g_sock);
      g_sock=INVALID_HANDLE;
      // 4014: the address is not in the terminal's allowed list
      Close(StringFormat("cannot connect to %s:%u (error %d)%s",Host,Port,e,
                         e==4014 ? ": add it in Tools > Options > Expert Advisors" : ""),-1);
      return;
     }
   if(UseTls && !SocketTlsHandshake(g_sock,Host))
     {
      Drop(StringFormat("TLS handshake with %s failed (error %d)",Host,GetLastError()));
      return;
     }
   g_conn_at_us=NowUs();
   g_last_rx_us=g_conn_at_us;
   g_last_tx_us=g_conn_at_us;
   g_errors=0;
   g_errors_at_us=g_conn_at_us;
   DmRxReset();
   SendHello();
  }

// read what arrived; never waits
void Receive()
  {
   uchar buf[];
   int got;
   if(UseTls)
      got=SocketTlsReadAvailable(g_sock,buf,65536);
   else
     {
      uint n=SocketIsReadable(g_sock);
      if(n==0)
        {
         if(!SocketIsConnected(g_sock))
            Drop("DreamMaker closed the connection");
         return;
        }
      // SocketIsReadable may say 1 byte when it has not looked yet; a
      // 1 ms timeout keeps that case from blocking the terminal
      got=SocketRead(g_sock,buf,n,1);
     }
   if(got>0)
     {
      DmRxAppend(buf,got);
      g_last_rx_us=NowUs();
     }
   else if(!SocketIsConnected(g_sock))
     {
      Drop("DreamMaker closed the connection");
      return;
     }
   DmFrameHdr h;
   int at,skipped,rc;
   while(g_sock!=INVALID_HANDLE && (rc=DmRxNext(h,at,skipped))!=DM_RX_MORE)
     {
      if(rc==DM_RX_FRAME)
         OnFrame(h,at);
      else
         BadFrame(StringFormat("bad frame (%d), %d bytes skipped",rc,skipped),
                  rc==DM_RX_VERSION);
     }
  }

// count a bad frame; too many, another version or any during the
// handshake ends the connection
void BadFrame(const string what,bool fatal)
  {
   ulong now=NowUs();
   if(now-g_errors_at_us>(ulong)g_hb_timeout_ms*1000)
     {
      g_errors=0;
      g_errors_at_us=now;
     }
   g_errors++;
   if(fatal)                   // another version does not fix itself either
      Close(what+": install the EA of this DreamMaker",g_backoff_max_ms);
   else if(g_state!=ST_READY || g_errors>DM_MAX_ERRORS)
      Drop(what);
  }

//+------------------------------------------------------------------+
//| frames out                                                       |
//+------------------------------------------------------------------+
// a frame of the payload in f[DM_HDR_SIZE..end): sealed and queued
void SendUnseq(uchar &f[],int end,ushort type)
  {
   if(end<0)
      return;
   DmFrameSeal(f,type,0,0,end-DM_HDR_SIZE);
   TxQueue(f,end);
  }

// a sequenced report: numbered, kept until acknowledged, sent when the
// session runs (else after the next ACCEPT, by the resend)
void SendSeq(uchar &f[],int end,ushort type)
  {
   if(end<0 || end>DM_SLOT)
     {
      PrintFormat("DreamMakerBridge: a %s of %d bytes was not made",DmMsgName(type),end);
      return;
     }
   ulong seq=g_next_seq++;
   DmFrameSeal(f,type,seq,0,end-DM_HDR_SIZE);
   if(g_rs_count==ResendSlots)
     {
      // the store is full: the oldest report is lost; DreamMaker learns it
      // from SEQ_RESET when it asks for it, and reconciles
      g_rs_first=(g_rs_first+1)%ResendSlots;
      g_rs_count--;
     }
   int slot=(g_rs_first+g_rs_count)%ResendSlots;
   for(int i=0; i<end; i++)
      g_rs[slot*DM_SLOT+i]=f[i];
   g_rs_len[slot]=end;
   g_rs_seq[slot]=seq;
   g_rs_count++;
   if(g_state==ST_READY)
      TxQueue(f,end);
  }

ulong OldestKept()
  {
   return(g_rs_count>0 ? g_rs_seq[g_rs_first] : g_next_seq);
  }

// forget the reports up to ack_seq
void Acked(ulong ack_seq)
  {
   while(g_rs_count>0 && g_rs_seq[g_rs_first]<=ack_seq)
     {
      g_rs_first=(g_rs_first+1)%ResendSlots;
      g_rs_count--;
     }
  }

// send again every kept report from seq on, marked resent; what is no
// longer kept is announced lost (SEQ_RESET)
void ResendFrom(ulong from)
  {
   if(from<OldestKept() && from<g_next_seq)
     {
      uchar f[];
      DmSeqReset r;
      r.next_seq=OldestKept();
      r.reason=DM_RESET_OVERFLOW;
      SendUnseq(f,DmEncSeqReset(f,DM_HDR_SIZE,r),DM_T_SEQ_RESET);
     }
   for(int k=0; k<g_rs_count; k++)
     {
      int slot=(g_rs_first+k)%ResendSlots;
      if(g_rs_seq[slot]<from)
         continue;
      uchar f[];
      ArrayResize(f,g_rs_len[slot]);
      for(int i=0; i<g_rs_len[slot]; i++)
         f[i]=g_rs[slot*DM_SLOT+i];
      DmFrameMarkResent(f,0);
      TxQueue(f,g_rs_len[slot]);
     }
  }

void SendHello()
  {
   DmHello m;
   ZeroMemory(m);
   uchar nb[];
   FreshBytes(nb);
   ArrayCopy(g_client_nonce,nb,0,0,32);
   m.proto_version=(ushort)DM_PROTO_VERSION;
   m.schema_hash=DM_SCHEMA_HASH;
   m.ea_version=EA_VERSION;
   m.terminal_build=(uint)TerminalInfoInteger(TERMINAL_BUILD);
   ArrayCopy(m.client_nonce,g_client_nonce,0,0,32);
   m.stream_id=g_stream_id;
   m.next_seq=g_next_seq;
   m.oldest_seq=OldestKept();
   m.cmd_stream_id=g_cmd_stream;
   m.last_cmd_seq=g_cmd_done;
   m.account_login=(ulong)AccountInfoInteger(ACCOUNT_LOGIN);
   m.server_time_offset_s=(int)(TimeTradeServer()-TimeGMT());
   m.digits=(uint)g_digits;
   m.tick_size_pts=ToPts(SymbolInfoDouble(g_sym,SYMBOL_TRADE_TICK_SIZE));
   m.tick_value_e8=ToE8(SymbolInfoDouble(g_sym,SYMBOL_TRADE_TICK_VALUE));
   m.contract_size_e8=ToE8(SymbolInfoDouble(g_sym,SYMBOL_TRADE_CONTRACT_SIZE));
   m.volume_min_e8=ToE8(SymbolInfoDouble(g_sym,SYMBOL_VOLUME_MIN));
   m.volume_step_e8=ToE8(SymbolInfoDouble(g_sym,SYMBOL_VOLUME_STEP));
   m.volume_max_e8=ToE8(SymbolInfoDouble(g_sym,SYMBOL_VOLUME_MAX));
   m.book_depth=(uint)SymbolInfoInteger(g_sym,SYMBOL_TICKS_BOOKDEPTH);
   m.filling_modes=(uint)SymbolInfoInteger(g_sym,SYMBOL_FILLING_MODE);
   long mm=AccountInfoInteger(ACCOUNT_MARGIN_MODE);
   m.margin_mode=(uchar)(mm==ACCOUNT_MARGIN_MODE_RETAIL_HEDGING ? DM_MARGIN_HEDGING :
                         mm==ACCOUNT_MARGIN_MODE_EXCHANGE ? DM_MARGIN_EXCHANGE :
                         DM_MARGIN_NETTING);
   m.trade_allowed=(uchar)((TerminalInfoInteger(TERMINAL_TRADE_ALLOWED)!=0 &&
                            AccountInfoInteger(ACCOUNT_TRADE_ALLOWED)!=0 &&
                            MQLInfoInteger(MQL_TRADE_ALLOWED)!=0) ? 1 : 0);
   m.currency=AccountInfoString(ACCOUNT_CURRENCY);
   m.server=AccountInfoString(ACCOUNT_SERVER);
   m.symbol=g_sym;
   // the payload is kept as sent: AUTH's MAC covers exactly these bytes
   ArrayResize(g_hello,0);
   int end=DmEncHello(g_hello,0,m);
   ArrayResize(g_hello,end);
   uchar f[];
   ArrayResize(f,DM_HDR_SIZE+end);
   for(int i=0; i<end; i++)
      f[DM_HDR_SIZE+i]=g_hello[i];
   SendUnseq(f,DM_HDR_SIZE+end,DM_T_HELLO);
   g_state=ST_WAIT_CHALLENGE;
   Flush();
  }

void SendHeartbeat()
  {
   DmHeartbeat m;
   m.time_us=NowUs();
   m.echo_us=g_peer_time_us;
   m.ack_seq=g_cmd_done;
   uchar f[];
   SendUnseq(f,DmEncHeartbeat(f,DM_HDR_SIZE,m),DM_T_HEARTBEAT);
  }

void SendAck()
  {
   DmAck m;
   m.ack_seq=g_cmd_done;
   uchar f[];
   SendUnseq(f,DmEncAck(f,DM_HDR_SIZE,m),DM_T_ACK);
  }

void SendResend(ulong from)
  {
   DmResend m;
   m.from_seq=from;
   uchar f[];
   SendUnseq(f,DmEncResend(f,DM_HDR_SIZE,m),DM_T_RESEND);
  }

//+------------------------------------------------------------------+
//| the handshake                                                    |
//+------------------------------------------------------------------+
bool NonceSeen(const uchar &n[])
  {
   int k=MathMin(g_n_recent,DM_RECENT);
   for(int r=0; r<k; r++)
      if(DmEqualCt(g_recent,r*32,n,0,32))
         return(true);
   return(false);
  }

void OnChallenge(const uchar &b[],int at,int len)
  {
   DmChallenge c;
   if(!DmDecChallenge(b,at,len,c) || c.proto_version!=DM_PROTO_VERSION ||
      c.schema_hash!=DM_SCHEMA_HASH)
     {
      Drop("a CHALLENGE this EA cannot answer: install the EA of this DreamMaker");
      return;
     }
   uchar zero[32];
   ArrayInitialize(zero,0);
   // a challenge answered before would let an old AUTH pass: refuse it
   if(DmEqualCt(c.server_nonce,0,zero,0,32) || NonceSeen(c.server_nonce))
     {
      Close("a challenge nonce seen before (a replay): not answered",g_backoff_max_ms);
      return;
     }
   DmEnsure(g_recent,DM_RECENT*32);
   ArrayCopy(g_recent,c.server_nonce,(g_n_recent%DM_RECENT)*32,0,32);
   g_n_recent++;
   ArrayCopy(g_server_nonce,c.server_nonce,0,0,32);
   // AUTH = HMAC(key, "DMT5 auth v1" || server nonce || HELLO payload)
   uchar msg[],mac[];
   DmAppendText(msg,"DMT5 auth v1");
   DmAppend(msg,g_server_nonce,0,32);
   DmAppend(msg,g_hello,0,ArraySize(g_hello));
   if(!DmHmacSha256(g_key,msg,mac))
     {
      Drop("HMAC-SHA256 failed");
      return;
     }
   DmAuth a;
   ArrayCopy(a.server_nonce,g_server_nonce,0,0,32);
   ArrayCopy(a.mac,mac,0,0,32);
   uchar f[];
   SendUnseq(f,DmEncAuth(f,DM_HDR_SIZE,a),DM_T_AUTH);
   ArrayInitialize(mac,0);
   g_state=ST_WAIT_ACCEPT;
  }

void OnAccept(const uchar &b[],int at,int len)
  {
   DmAccept a;
   if(!DmDecAccept(b,at,len,a))
     {
      Drop("a malformed ACCEPT");
      return;
     }
   // DreamMaker proves the secret on our nonce, and binds its settings:
   // HMAC(key, "DMT5 accept v1" || client nonce || server nonce || 48 bytes)
   uchar msg[],mac[];
   DmAppendText(msg,"DMT5 accept v1");
   DmAppend(msg,g_client_nonce,0,32);
   DmAppend(msg,g_server_nonce,0,32);
   DmAppend(msg,b,at,DM_FIXED_ACCEPT-DM_MAC_LEN);
   if(!DmHmacSha256(g_key,msg,mac) || !DmEqualCt(mac,0,a.mac,0,32))
     {
      Close("ACCEPT does not prove the secret: this is not our DreamMaker",
            g_backoff_max_ms);
      return;
     }
   g_hb_interval_ms=a.hb_interval_ms;
   g_hb_timeout_ms=a.hb_timeout_ms;
   g_backoff_min_ms=a.backoff_min_ms;
   g_backoff_max_ms=a.backoff_max_ms;
   // commands: the same stream goes on after the last one carried out
   // (DreamMaker resends or resets from there); a new one starts fresh
   if(a.cmd_stream_id!=g_cmd_stream)
     {
      g_cmd_stream=a.cmd_stream_id;
      g_cmd_next=a.next_cmd_seq;
      g_cmd_done=a.next_cmd_seq-1;
     }
   else
      g_cmd_next=g_cmd_done+1;
   g_cmd_asked=0;
   g_state=ST_READY;
   g_ready_at_us=NowUs();
   // reports: DreamMaker has everything below resume_seq
   ulong resume=(a.resume_seq>0) ? a.resume_seq : 1;
   Acked(resume-1);
   ResendFrom(resume);
   // the market data starts from now: the ticks of the last millisecond
   // the terminal has are counted as sent
   g_tick_msc=(long)SymbolInfoInteger(g_sym,SYMBOL_TIME_MSC);
   g_tick_same=0;
   MqlTick seen[];
   int ns=CopyTicks(g_sym,seen,COPY_TICKS_ALL,(ulong)g_tick_msc,1000);
   for(int k=0; k<ns; k++)
      if(seen[k].time_msc==g_tick_msc)
         g_tick_same++;
   SendSnapshot(0);
   PrintFormat("DreamMakerBridge: connected to %s:%u, reports resume at %I64u, commands "
               "at %I64u",Host,Port,resume,g_cmd_next);
  }

void OnRefuse(const uchar &b[],int at,int len)
  {
   DmRefuse r;
   if(!DmDecRefuse(b,at,len,r))
     {
      Drop("a malformed REFUSE");
      return;
     }
   // a refusal does not fix itself: the longest delay before the next try
   Close(StringFormat("DreamMaker refused (reason %u, protocol %u): %s",r.reason,
                      r.supported_version,r.detail),g_backoff_max_ms);
  }

//+------------------------------------------------------------------+
//| frames in                                                        |
//+------------------------------------------------------------------+
void OnFrame(DmFrameHdr &h,int at)
  {
   int len=(int)h.payload_len;
   ushort t=h.type;
   // a sequence number must fit its type
   if(DmMsgSequenced(t)!=(h.seq!=0))
     {
      BadFrame(StringFormat("%s with sequence %I64u",DmMsgName(t),h.seq),false);
      return;
     }
   if(g_state==ST_WAIT_CHALLENGE || g_state==ST_WAIT_ACCEPT)
     {
      if(t==DM_T_REFUSE)
         OnRefuse(g_rx,at,len);
      else if(t==DM_T_CHALLENGE && g_state==ST_WAIT_CHALLENGE)
         OnChallenge(g_rx,at,len);
      else if(t==DM_T_ACCEPT && g_state==ST_WAIT_ACCEPT)
         OnAccept(g_rx,at,len);
      else
         Drop(StringFormat("%s during the handshake",DmMsgName(t)));
      return;
     }
   if(g_state!=ST_READY)
      return;
   if(t==DM_T_NEW_ORDER || t==DM_T_CANCEL || t==DM_T_MODIFY)
     {
      OnCommand(h,at,len);
      return;
     }
   bool ok=true;
   switch(t)
     {
      case DM_T_HEARTBEAT:
        {
         DmHeartbeat m;
         ok=DmDecHeartbeat(g_rx,at,len,m);
         if(ok)
           {
            g_peer_time_us=m.time_us;
            Acked(m.ack_seq);
           }
         break;
        }
      case DM_T_ACK:
        {
         DmAck m;
         ok=DmDecAck(g_rx,at,len,m);
         if(ok)
            Acked(m.ack_seq);
         break;
        }
      case DM_T_RESEND:
        {
         DmResend m;
         ok=DmDecResend(g_rx,at,len,m);
         if(ok)
            ResendFrom(m.from_seq);
         break;
        }
      case DM_T_SEQ_RESET:
        {
         // commands DreamMaker gave up: their numbers are skipped
         DmSeqReset m;
         ok=DmDecSeqReset(g_rx,at,len,m);
         if(ok && m.next_seq>g_cmd_next)
           {
            PrintFormat("DreamMakerBridge: commands %I64u..%I64u given up by DreamMaker",
                        g_cmd_next,m.next_seq-1);
            g_cmd_next=m.next_seq;
            g_cmd_done=m.next_seq-1;
            g_cmd_asked=0;
            SendAck();
           }
         break;
        }
      case DM_T_SNAPSHOT_REQ:
        {
         DmSnapshotReq m;
         ok=DmDecSnapshotReq(g_rx,at,len,m);
         if(ok)
            SendSnapshot(m.req_id);
         break;
        }
      case DM_T_BYE:
        {
         DmBye m;
         ok=DmDecBye(g_rx,at,len,m);
         if(ok)
            Drop("DreamMaker said goodbye: "+m.detail);
         break;
        }
      default:
         ok=false;
     }
   if(!ok)
      BadFrame(StringFormat("a %s this EA cannot read",DmMsgName(t)),false);
  }

// A command: carried out once, in order; a duplicate is only
// acknowledged, a gap asks for the missing ones once.
void OnCommand(DmFrameHdr &h,int at,int len)
  {
   if(h.seq<g_cmd_next)
     {
      SendAck();
      return;
     }
   if(h.seq>g_cmd_next)
     {
      if(g_cmd_asked!=g_cmd_next)
        {
         g_cmd_asked=g_cmd_next;
         SendResend(g_cmd_next);
        }
      return;
     }
   bool ok=false;
   if(h.type==DM_T_NEW_ORDER)
     {
      DmNewOrder m;
      ok=DmDecNewOrder(g_rx,at,len,m);
         if(ok)
         DoNewOrder(h.seq,m);
     }
   else if(h.type==DM_T_CANCEL)
     {
      DmCancel m;
      ok=DmDecCancel(g_rx,at,len,m);
         if(ok)
         DoCancel(h.seq,m);
     }
   else
     {
      DmModify m;
      ok=DmDecModify(g_rx,at,len,m);
         if(ok)
         DoModify(h.seq,m);
     }
   if(!ok)
     {
      // a command that does not decode is not carried out, and not
      // acknowledged: DreamMaker resends it or gives it up
      BadFrame(StringFormat("a %s this EA cannot read",DmMsgName(h.type)),false);
      return;
     }
   g_cmd_done=h.seq;
   g_cmd_next=h.seq+1;
   g_cmd_asked=0;
   SendAck();
  }

//+------------------------------------------------------------------+
//| orders                                                           |
//+------------------------------------------------------------------+
int FindByCoid(ulong coid)
  {
   for(int i=0; i<ArraySize(g_o_coid); i++)
      if(g_o_coid[i]==coid && coid!=0)
         return(i);
   return(-1);
  }

int FindByTicket(ulong ticket)
  {
   for(int i=0; i<ArraySize(g_o_ticket); i++)
      if(g_o_ticket[i]==ticket && ticket!=0)
         return(i);
   return(-1);
  }

int FindByRequest(uint req)
  {
   for(int i=0; i<ArraySize(g_o_req); i++)
      if(g_o_req[i]==req && req!=0)
         return(i);
   return(-1);
  }

int Remember(ulong coid,uchar side,uchar kind,long vol)
  {
   int i=g_o_next;
   g_o_next=(g_o_next+1)%DM_MAP;
   g_o_coid[i]=coid;
   g_o_ticket[i]=0;
   g_o_req[i]=0;
   g_o_cmd[i]=DM_CMD_NEW;
   g_o_side[i]=side;
   g_o_kind[i]=kind;
   g_o_vol[i]=vol;
   g_o_cum[i]=0;
   g_o_modify[i]=false;
   return(i);
  }

// Has an order of this coid ever been sent?  The EA's map, then the
// terminal's open orders and the last week's history, by magic: so an
// order is never sent twice, not even by an EA that restarted.
bool CoidSent(ulong coid)
  {
   if(FindByCoid(coid)>=0)
      return(true);
   for(int i=OrdersTotal()-1; i>=0; i--)
      if(OrderGetTicket(i)>0 && (ulong)OrderGetInteger(ORDER_MAGIC)==coid)
         return(true);
   if(HistorySelect(TimeCurrent()-7*86400,TimeCurrent()+86400))
      for(int i=HistoryOrdersTotal()-1; i>=0; i--)
        {
         ulong t=HistoryOrderGetTicket(i);
         if(t>0 && (ulong)HistoryOrderGetInteger(t,ORDER_MAGIC)==coid)
            return(true);
        }
   return(false);
  }

// the ticket of coid's order: the map, else the open orders by magic or comment
ulong TicketOf(ulong coid,ulong hint)
  {
   if(hint!=0)
      return(hint);
   int i=FindByCoid(coid);
   if(i>=0 && g_o_ticket[i]!=0)
      return(g_o_ticket[i]);
   for(int k=OrdersTotal()-1; k>=0; k--)
     {
      ulong t=OrderGetTicket(k);
      if(t>0 && ((ulong)OrderGetInteger(ORDER_MAGIC)==coid ||
                 CommentCoid(OrderGetString(ORDER_COMMENT))==coid))
         return(t);
     }
   return(0);
  }

void SendResult(ulong cmd_seq,ulong coid,uchar cmd,bool accepted,const MqlTradeResult &r,
                uint err,ulong echo_us,const string why)
  {
   DmOrderResult m;
   ZeroMemory(m);
   m.cmd_seq=cmd_seq;
   m.coid=coid;
   m.cmd=cmd;
   m.accepted=(uchar)(accepted ? 1 : 0);
   m.retcode=r.retcode;
   m.request_id=r.request_id;
   m.last_error=err;
   m.order=r.order;
   m.echo_dm_us=echo_us;
   m.ea_us=NowUs();
   m.comment=(why!="") ? why : r.comment;
   uchar f[];
   SendSeq(f,DmEncOrderResult(f,DM_HDR_SIZE,m),DM_T_ORDER_RESULT);
  }

ENUM_ORDER_TYPE_FILLING Filling(uchar filling,uchar kind)
  {
   if(filling==DM_FILLING_FOK)
      return(ORDER_FILLING_FOK);
   if(filling==DM_FILLING_IOC)
      return(ORDER_FILLING_IOC);
   if(filling==DM_FILLING_RETURN || kind!=DM_KIND_MARKET)
      return(ORDER_FILLING_RETURN);
   long modes=SymbolInfoInteger(g_sym,SYMBOL_FILLING_MODE);
   if((modes&SYMBOL_FILLING_IOC)!=0)
      return(ORDER_FILLING_IOC);
   if((modes&SYMBOL_FILLING_FOK)!=0)
      return(ORDER_FILLING_FOK);
   return(ORDER_FILLING_RETURN);
  }

ENUM_ORDER_TYPE_TIME TypeTime(uchar tif)
  {
   return(tif==DM_TIF_DAY ? ORDER_TIME_DAY : tif==DM_TIF_SPECIFIED ? ORDER_TIME_SPECIFIED :
          tif==DM_TIF_SPECIFIED_DAY ? ORDER_TIME_SPECIFIED_DAY : ORDER_TIME_GTC);
  }

void DoNewOrder(ulong seq,DmNewOrder &c)
  {
   MqlTradeRequest q;
   MqlTradeResult r;
   ZeroMemory(q);
   ZeroMemory(r);
   if(c.coid==0 || c.kind==DM_KIND_NONE || c.volume_e8<=0)
     {
      SendResult(seq,c.coid,DM_CMD_NEW,false,r,0,c.dm_us,"bad command");
      return;
     }
   // at most once: a resent command, or one an earlier EA already sent
   if(CoidSent(c.coid))
     {
      SendResult(seq,c.coid,DM_CMD_NEW,false,r,0,c.dm_us,"coid sent before");
      return;
     }
   bool buy=(c.side==DM_SIDE_BUY);
   q.symbol=g_sym;
   q.magic=c.coid;                 // the coid survives a rewritten comment
   q.comment=CoidComment(c.coid);  // and a lost map
   q.volume=FromE8(c.volume_e8);
   q.type_filling=Filling(c.filling,c.kind);
   q.type_time=TypeTime(c.tif);
   q.expiration=(datetime)c.expiration_s;
   q.sl=(c.sl!=0) ? FromPts(c.sl) : 0.0;
   q.tp=(c.tp!=0) ? FromPts(c.tp) : 0.0;
   q.position=c.position;
   switch(c.kind)
     {
      case DM_KIND_MARKET:
         q.action=TRADE_ACTION_DEAL;
         q.type=buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL;
         q.price=SymbolInfoDouble(g_sym,buy ? SYMBOL_ASK : SYMBOL_BID);
         q.deviation=(c.deviation_pts!=0) ? c.deviation_pts : Deviation;
         break;
      case DM_KIND_LIMIT:
         q.action=TRADE_ACTION_PENDING;
         q.type=buy ? ORDER_TYPE_BUY_LIMIT : ORDER_TYPE_SELL_LIMIT;
         q.price=FromPts(c.price);
         break;
      case DM_KIND_STOP:
         q.action=TRADE_ACTION_PENDING;
         q.type=buy ? ORDER_TYPE_BUY_STOP : ORDER_TYPE_SELL_STOP;
         q.price=FromPts(c.price);
         break;
      default:
         q.action=TRADE_ACTION_PENDING;
         q.type=buy ? ORDER_TYPE_BUY_STOP_LIMIT : ORDER_TYPE_SELL_STOP_LIMIT;
         q.price=FromPts(c.price);
         q.stoplimit=FromPts(c.stop_limit);
         break;
     }
   // remembered before sending: a crash inside the call cannot lead to a
   // second send of the same coid
   int i=Remember(c.coid,c.side,c.kind,c.volume_e8);
   bool ok=OrderSendAsync(q,r);
   uint err=ok ? 0 : (uint)GetLastError();
   g_o_req[i]=ok ? r.request_id : 0;
   if(r.order!=0)
      g_o_ticket[i]=r.order;
   SendResult(seq,c.coid,DM_CMD_NEW,ok,r,err,c.dm_us,"");
  }

void DoCancel(ulong seq,DmCancel &c)
  {
   MqlTradeRequest q;
   MqlTradeResult r;
   ZeroMemory(q);
   ZeroMemory(r);
   ulong ticket=TicketOf(c.coid,c.order);
   if(ticket==0)
     {
      SendResult(seq,c.coid,DM_CMD_CANCEL,false,r,0,c.dm_us,"no such order");
      return;
     }
   q.action=TRADE_ACTION_REMOVE;
   q.order=ticket;
   q.symbol=g_sym;
   bool ok=OrderSendAsync(q,r);
   uint err=ok ? 0 : (uint)GetLastError();
   int i=FindByCoid(c.coid);
   if(i<0)
      i=Remember(c.coid,DM_SIDE_ANY_NONE,DM_KIND_NONE,0);
   g_o_ticket[i]=ticket;
   g_o_cmd[i]=DM_CMD_CANCEL;
   if(ok)
      g_o_req[i]=r.request_id;
   SendResult(seq,c.coid,DM_CMD_CANCEL,ok,r,err,c.dm_us,"");
  }

void DoModify(ulong seq,DmModify &c)
  {
   MqlTradeRequest q;
   MqlTradeResult r;
   ZeroMemory(q);
   ZeroMemory(r);
   ulong ticket=TicketOf(c.coid,c.order);
   if(ticket==0)
     {
      SendResult(seq,c.coid,DM_CMD_MODIFY,false,r,0,c.dm_us,"no such order");
      return;
     }
   q.action=TRADE_ACTION_MODIFY;
   q.order=ticket;
   q.symbol=g_sym;
   q.price=FromPts(c.price);
   q.stoplimit=(c.stop_limit!=0) ? FromPts(c.stop_limit) : 0.0;
   q.sl=(c.sl!=0) ? FromPts(c.sl) : 0.0;
   q.tp=(c.tp!=0) ? FromPts(c.tp) : 0.0;
   q.type_time=TypeTime(c.tif);
   q.expiration=(datetime)c.expiration_s;
   bool ok=OrderSendAsync(q,r);
   uint err=ok ? 0 : (uint)GetLastError();
   int i=FindByCoid(c.coid);
   if(i<0)
      i=Remember(c.coid,DM_SIDE_ANY_NONE,DM_KIND_NONE,0);
   g_o_ticket[i]=ticket;
   g_o_cmd[i]=DM_CMD_MODIFY;
   g_o_modify[i]=ok;
   if(ok)
      g_o_req[i]=r.request_id;
   SendResult(seq,c.coid,DM_CMD_MODIFY,ok,r,err,c.dm_us,"");
  }

//+------------------------------------------------------------------+
//| reports                                                          |
//+------------------------------------------------------------------+
void SideKind(ENUM_ORDER_TYPE t,uchar &side,uchar &kind)
  {
   side=(t==ORDER_TYPE_BUY || t==ORDER_TYPE_BUY_LIMIT || t==ORDER_TYPE_BUY_STOP ||
         t==ORDER_TYPE_BUY_STOP_LIMIT) ? (uchar)DM_SIDE_BUY : (uchar)DM_SIDE_SELL;
   kind=(t==ORDER_TYPE_BUY_LIMIT || t==ORDER_TYPE_SELL_LIMIT) ? (uchar)DM_KIND_LIMIT :
        (t==ORDER_TYPE_BUY_STOP || t==ORDER_TYPE_SELL_STOP) ? (uchar)DM_KIND_STOP :
        (t==ORDER_TYPE_BUY_STOP_LIMIT || t==ORDER_TYPE_SELL_STOP_LIMIT) ?
        (uchar)DM_KIND_STOP_LIMIT : (uchar)DM_KIND_MARKET;
  }

// The coid of an order ticket: the map, else the order's magic, else its
// comment, live or in the history; 0 when the order is not DreamMaker's.
ulong CoidOfOrder(ulong ticket)
  {
   int i=FindByTicket(ticket);
   if(i>=0)
      return(g_o_coid[i]);
   if(ticket==0)
      return(0);
   long magic=0;
   string comment="";
   if(OrderSelect(ticket))
     {
      magic=OrderGetInteger(ORDER_MAGIC);
      comment=OrderGetString(ORDER_COMMENT);
     }
   else if(HistoryOrderSelect(ticket))
     {
      magic=HistoryOrderGetInteger(ticket,ORDER_MAGIC);
      comment=HistoryOrderGetString(ticket,ORDER_COMMENT);
     }
   ulong coid=MagicCoid(magic);
   return(coid!=0 ? coid : CommentCoid(comment));
  }

// volume of the order not yet filled, never below 0
long Leaves(int i)
  {
   return(g_o_vol[i]>g_o_cum[i] ? g_o_vol[i]-g_o_cum[i] : 0);
  }

bool DealSeen(ulong deal)
  {
   for(int i=0; i<ArraySize(g_deals); i++)
      if(g_deals[i]==deal)
         return(true);
   g_deals[g_deals_next]=deal;
   g_deals_next=(g_deals_next+1)%ArraySize(g_deals);
   return(false);
  }

bool RetcodeOk(uint rc)
  {
   return(rc==TRADE_RETCODE_PLACED || rc==TRADE_RETCODE_DONE ||
          rc==TRADE_RETCODE_DONE_PARTIAL);
  }

void OnTradeTransaction(const MqlTradeTransaction &trans,const MqlTradeRequest &request,
                        const MqlTradeResult &result)
  {
   DmTrade m;
   ZeroMemory(m);
   m.ea_us=NowUs();
   m.raw_tx_type=(uchar)trans.type;
   m.raw_order_state=(uchar)trans.order_state;
   m.raw_deal_type=(uchar)trans.deal_type;
   m.order=trans.order;
   m.deal=trans.deal;
   m.position=trans.position;
   m.price=ToPts(trans.price);
   m.volume_e8=ToE8(trans.volume);
   m.event=DM_EVENT_OTHER;
   int i=-1;
   if(trans.type==TRADE_TRANSACTION_REQUEST)
     {
      // the answer to one of our requests: matched by request_id (a
      // cancel's request may not name the symbol), else by its magic
      i=FindByRequest(result.request_id);
      if(i<0 && request.symbol!=g_sym)
         return;
      m.request_id=result.request_id;
      m.retcode=result.retcode;
      m.order=(result.order!=0) ? result.order : request.order;
      m.coid=(i>=0) ? g_o_coid[i] : MagicCoid((long)request.magic);
      if(i>=0 && result.order!=0 && g_o_cmd[i]==DM_CMD_NEW)
         g_o_ticket[i]=result.order;
      if(!RetcodeOk(result.retcode))
        {
         m.event=(request.action==TRADE_ACTION_REMOVE) ? (uchar)DM_EVENT_CANCEL_REJECTED :
                 (request.action==TRADE_ACTION_MODIFY) ? (uchar)DM_EVENT_MODIFY_REJECTED :
                 (uchar)DM_EVENT_REJECTED;
         if(i>=0 && request.action==TRADE_ACTION_MODIFY)
            g_o_modify[i]=false;
        }
      m.price=ToPts(request.price);
      m.volume_e8=ToE8(request.volume);
     }
   else
     {
      if(trans.symbol!=g_sym)
         return;
      m.coid=CoidOfOrder(trans.order);
      i=FindByCoid(m.coid);
      if(i>=0 && g_o_ticket[i]==0)
         g_o_ticket[i]=trans.order;
      switch(trans.type)
        {
         case TRADE_TRANSACTION_ORDER_ADD:
            m.event=DM_EVENT_PLACED;
            break;
         case TRADE_TRANSACTION_ORDER_UPDATE:
            if(i>=0 && g_o_modify[i] && trans.order_state==ORDER_STATE_PLACED)
              {
               m.event=DM_EVENT_MODIFIED;
               g_o_modify[i]=false;
              }
            break;
         case TRADE_TRANSACTION_DEAL_ADD:
            if((trans.deal_type==DEAL_TYPE_BUY || trans.deal_type==DEAL_TYPE_SELL) &&
               !DealSeen(trans.deal))
              {
               long vol=ToE8(trans.volume);
               if(HistoryDealSelect(trans.deal))
                 {
                  m.time_msc=HistoryDealGetInteger(trans.deal,DEAL_TIME_MSC);
                  if(m.coid==0)
                     m.coid=MagicCoid(HistoryDealGetInteger(trans.deal,DEAL_MAGIC));
                 }
               if(i<0)
                  i=FindByCoid(m.coid);
               if(i>=0)
                 {
                  // the EA counts the order's fills itself: the order's own
                  // volumes may lag the deal in the terminal
                  g_o_cum[i]+=vol;
                  m.cum_volume_e8=g_o_cum[i];
                  m.leaves_volume_e8=Leaves(i);
                 }
               else
                 {
                  m.cum_volume_e8=vol;
                  m.leaves_volume_e8=0;
                 }
               m.event=(m.leaves_volume_e8>0) ? (uchar)DM_EVENT_PARTIAL :
                       (uchar)DM_EVENT_FILLED;
              }
            break;
         case TRADE_TRANSACTION_HISTORY_ADD:
            if(trans.order_state==ORDER_STATE_CANCELED)
               m.event=DM_EVENT_CANCELLED;
            else if(trans.order_state==ORDER_STATE_REJECTED)
               m.event=DM_EVENT_REJECTED;
            else if(trans.order_state==ORDER_STATE_EXPIRED)
               m.event=DM_EVENT_EXPIRED;
            break;
         default:
            break;
        }
      if(m.event!=DM_EVENT_PARTIAL && m.event!=DM_EVENT_FILLED && i>=0)
        {
         m.cum_volume_e8=g_o_cum[i];
         m.leaves_volume_e8=Leaves(i);
        }
     }
   if(i>=0)
     {
      m.side=g_o_side[i];
      m.kind=g_o_kind[i];
     }
   else if(trans.type!=TRADE_TRANSACTION_REQUEST && trans.order!=0)
      SideKind(trans.order_type,m.side,m.kind);
   if(m.time_msc==0)
      m.time_msc=(long)TimeTradeServer()*1000;
   uchar f[];
   SendSeq(f,DmEncTrade(f,DM_HDR_SIZE,m),DM_T_TRADE);
   Flush();
  }

//+------------------------------------------------------------------+
//| market data and snapshots                                        |
//+------------------------------------------------------------------+
// every tick since the last one sent; none is sent twice: the ticks of
// the last millisecond already sent are skipped
void PumpTicks()
  {
   if(g_state!=ST_READY)
      return;
   MqlTick ticks[];
   int n=CopyTicks(g_sym,ticks,COPY_TICKS_ALL,(ulong)g_tick_msc,1000);
   int skip=g_tick_same;
   for(int k=0; k<n; k++)
     {
      if(ticks[k].time_msc<g_tick_msc)
         continue;
      if(ticks[k].time_msc==g_tick_msc && skip>0)
        {
         skip--;
         continue;
        }
      DmTick m;
      m.tick_seq=++g_tick_seq;
      m.time_msc=ticks[k].time_msc;
      m.flags=ticks[k].flags;
      m.bid=ToPts(ticks[k].bid);
      m.ask=ToPts(ticks[k].ask);
      m.last=ToPts(ticks[k].last);
      m.volume=ticks[k].volume;
      m.volume_real_e8=ToE8(ticks[k].volume_real);
      m.ea_us=NowUs();
      uchar f[];
      SendUnseq(f,DmEncTick(f,DM_HDR_SIZE,m),DM_T_TICK);
      if(ticks[k].time_msc==g_tick_msc)
         g_tick_same++;
      else
        {
         g_tick_msc=ticks[k].time_msc;
         g_tick_same=1;
         skip=0;
        }
     }
  }

void OnBookEvent(const string &symbol)
  {
   if(symbol!=g_sym)
      return;
   g_book_seq++;               // counted even unsent: a gap tells DreamMaker
   if(g_state!=ST_READY)
      return;
   MqlBookInfo book[];
   if(!MarketBookGet(g_sym,book))
      return;
   DmBook m;
   m.book_seq=g_book_seq;
   m.time_msc=(long)SymbolInfoInteger(g_sym,SYMBOL_TIME_MSC);
   m.ea_us=NowUs();
   int n=MathMin(ArraySize(book),DM_BOOK_LEVELS_MAX);
   m.n_levels=(ushort)n;
   for(int i=0; i<n; i++)
     {
      ENUM_BOOK_TYPE t=book[i].type;
      m.levels[i].side=(uchar)(t==BOOK_TYPE_BUY ? DM_BOOK_SIDE_BID :
                               t==BOOK_TYPE_SELL ? DM_BOOK_SIDE_ASK :
                               t==BOOK_TYPE_BUY_MARKET ? DM_BOOK_SIDE_BID_MARKET :
                               DM_BOOK_SIDE_ASK_MARKET);
      m.levels[i].price=ToPts(book[i].price);
      m.levels[i].volume=(ulong)book[i].volume;
      m.levels[i].volume_real_e8=ToE8(book[i].volume_real);
     }
   uchar f[];
   SendUnseq(f,DmEncBook(f,DM_HDR_SIZE,m),DM_T_BOOK);
   Flush();
  }

// positions and open orders of the symbol, bracketed; last_seq tells
// DreamMaker which reports the snapshot already includes
void SendSnapshot(ulong req_id)
  {
   int np=0,no=0,sent=0;
   for(int i=PositionsTotal()-1; i>=0; i--)
      if(PositionGetTicket(i)>0 && PositionGetString(POSITION_SYMBOL)==g_sym)
         np++;
   for(int i=OrdersTotal()-1; i>=0; i--)
      if(OrderGetTicket(i)>0 && OrderGetString(ORDER_SYMBOL)==g_sym)
         no++;
   DmSnapshotBegin b;
   b.req_id=req_id;
   b.last_seq=g_next_seq-1;
   b.n_positions=(uint)np;
   b.n_orders=(uint)no;
   b.time_msc=(long)TimeTradeServer()*1000;
   uchar f[];
   SendUnseq(f,DmEncSnapshotBegin(f,DM_HDR_SIZE,b),DM_T_SNAPSHOT_BEGIN);
   for(int i=PositionsTotal()-1; i>=0; i--)
     {
      ulong t=PositionGetTicket(i);
      if(t==0 || PositionGetString(POSITION_SYMBOL)!=g_sym)
         continue;
      DmPosition p;
      p.req_id=req_id;
      p.ticket=t;
      p.magic=(ulong)PositionGetInteger(POSITION_MAGIC);
      p.coid=MagicCoid((long)p.magic);
      p.side=(uchar)(PositionGetInteger(POSITION_TYPE)==POSITION_TYPE_BUY ? DM_SIDE_BUY :
                     DM_SIDE_SELL);
      p.volume_e8=ToE8(PositionGetDouble(POSITION_VOLUME));
      p.price_open=ToPts(PositionGetDouble(POSITION_PRICE_OPEN));
      p.time_msc=PositionGetInteger(POSITION_TIME_MSC);
      uchar g[];
      SendUnseq(g,DmEncPosition(g,DM_HDR_SIZE,p),DM_T_POSITION);
      sent++;
     }
   for(int i=OrdersTotal()-1; i>=0; i--)
     {
      ulong t=OrderGetTicket(i);
      if(t==0 || OrderGetString(ORDER_SYMBOL)!=g_sym)
         continue;
      DmOrder o;
      o.req_id=req_id;
      o.ticket=t;
      o.magic=(ulong)OrderGetInteger(ORDER_MAGIC);
      o.coid=CoidOfOrder(t);
      SideKind((ENUM_ORDER_TYPE)OrderGetInteger(ORDER_TYPE),o.side,o.kind);
      o.raw_state=(uchar)OrderGetInteger(ORDER_STATE);
      o.price=ToPts(OrderGetDouble(ORDER_PRICE_OPEN));
      o.volume_initial_e8=ToE8(OrderGetDouble(ORDER_VOLUME_INITIAL));
      o.volume_current_e8=ToE8(OrderGetDouble(ORDER_VOLUME_CURRENT));
      o.time_setup_msc=OrderGetInteger(ORDER_TIME_SETUP_MSC);
      uchar g[];
      SendUnseq(g,DmEncOrder(g,DM_HDR_SIZE,o),DM_T_ORDER);
      sent++;
     }
   DmSnapshotEnd e;
   e.req_id=req_id;
   e.n_sent=(uint)sent;
   uchar h[];
   SendUnseq(h,DmEncSnapshotEnd(h,DM_HDR_SIZE,e),DM_T_SNAPSHOT_END);
   Flush();
  }

//+------------------------------------------------------------------+
//| the pump: one pass of everything, from the timer and each tick   |
//+------------------------------------------------------------------+
void Pump()
  {
   ulong now=NowUs();
   if(g_state==ST_DOWN)
     {
      if(now>=g_retry_at_us)
         Connect();
      return;
     }
   Receive();
   if(g_sock==INVALID_HANDLE)
      return;
   now=NowUs();
   // the handshake has its own deadline; the session the peer's silence
   if(g_state!=ST_READY && now-g_conn_at_us>(ulong)DM_HS_TIMEOUT_MS*1000)
     {
      Drop("no ACCEPT in time");
      return;
     }
   if(g_state==ST_READY && now-g_last_rx_us>(ulong)g_hb_timeout_ms*1000)
     {
      Drop("DreamMaker silent for the heartbeat timeout");
      return;
     }
   PumpTicks();
   if(g_state==ST_READY && g_tx_len==0 && now-g_last_tx_us>=(ulong)g_hb_interval_ms*1000)
      SendHeartbeat();
   Flush();
  }

//+------------------------------------------------------------------+
//| the EA's events                                                  |
//+------------------------------------------------------------------+
int OnInit()
  {
   g_sym=(TradeSymbol!="") ? TradeSymbol : _Symbol;
   if(!SymbolSelect(g_sym,true))
     {
      PrintFormat("DreamMakerBridge: no symbol %s in this terminal",g_sym);
      return(INIT_PARAMETERS_INCORRECT);
     }
   if(ResendSlots<16 || TimerMs<1)
     {
      Print("DreamMakerBridge: ResendSlots must be at least 16 and TimerMs at least 1");
      return(INIT_PARAMETERS_INCORRECT);
     }
   g_digits=(int)SymbolInfoInteger(g_sym,SYMBOL_DIGITS);
   g_pow=MathPow(10.0,g_digits);
   if(!LoadKey())
      return(INIT_FAILED);
   PrintFormat("DreamMakerBridge: key fingerprint %s (compare with dm-mt5 check-secret)",
               Fingerprint());
   MathSrand((uint)(GetMicrosecondCount()^(ulong)TimeLocal()));
   DmCrcInit();
   uchar id[];
   FreshBytes(id);
   g_stream_id=DmGetU64(id,0);
   ArrayResize(g_rs,ResendSlots*DM_SLOT);
   ArrayResize(g_rs_len,ResendSlots);
   ArrayResize(g_rs_seq,ResendSlots);
   ArrayResize(g_o_coid,DM_MAP);
   ArrayResize(g_o_ticket,DM_MAP);
   ArrayResize(g_o_req,DM_MAP);
   ArrayResize(g_o_cmd,DM_MAP);
   ArrayResize(g_o_side,DM_MAP);
   ArrayResize(g_o_kind,DM_MAP);
   ArrayResize(g_o_vol,DM_MAP);
   ArrayResize(g_o_cum,DM_MAP);
   ArrayResize(g_o_modify,DM_MAP);
   ArrayInitialize(g_o_coid,0);
   ArrayInitialize(g_o_ticket,0);
   ArrayInitialize(g_o_req,0);
   ArrayResize(g_deals,1024);
   ArrayInitialize(g_deals,0);
   ArrayResize(g_recent,DM_RECENT*32);
   ArrayInitialize(g_recent,0);
   if(!MarketBookAdd(g_sym))
      PrintFormat("DreamMakerBridge: no book for %s (error %d): ticks only",g_sym,
                  GetLastError());
   g_retry_at_us=0;
   EventSetMillisecondTimer(TimerMs);
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   if(g_state==ST_READY && g_sock!=INVALID_HANDLE)
     {
      DmBye m;
      m.reason=(uint)reason;
      m.detail="the Expert Advisor stops";
      uchar f[];
      SendUnseq(f,DmEncBye(f,DM_HDR_SIZE,m),DM_T_BYE);
      Flush();
     }
   if(g_sock!=INVALID_HANDLE)
      SocketClose(g_sock);
   g_sock=INVALID_HANDLE;
   MarketBookRelease(g_sym);
   ArrayInitialize(g_key,0);
  }

void OnTimer()
  {
   Pump();
  }

void OnTick()
  {
   if(g_state==ST_READY)
     {
      PumpTicks();
      Flush();
     }
  }
//+------------------------------------------------------------------+
