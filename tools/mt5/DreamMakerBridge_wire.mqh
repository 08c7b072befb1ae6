//+------------------------------------------------------------------+
//| DreamMakerBridge_wire.mqh                                        |
//| The bridge's bytes for the Expert Advisor: little-endian stores  |
//| and loads, text fields, CRC32C, SHA-256 and HMAC-SHA256, frames  |
//| and the streaming decoder with its resync rule.                  |
//| docs/mt5-bridge.md is the contract; the message layouts are in   |
//| the generated DreamMakerBridge_msgs.mqh, included below.         |
//+------------------------------------------------------------------+
#ifndef DREAMMAKER_BRIDGE_WIRE_MQH
#define DREAMMAKER_BRIDGE_WIRE_MQH

//--- growing a byte array: every store below may write past its end
void DmEnsure(uchar &b[],int need)
  {
   if(ArraySize(b)<need)
      ArrayResize(b,need,4096);
  }

//--- little-endian stores: the value at b[p], the position after it.
//    Byte by byte, so the wire does not depend on how MQL5 lays out
//    numbers in memory.
int DmPutU8(uchar &b[],int p,uchar v)
  {
   DmEnsure(b,p+1);
   b[p]=v;
   return(p+1);
  }

int DmPutU16(uchar &b[],int p,ushort v)
  {
   DmEnsure(b,p+2);
   b[p]=(uchar)(v&0xFF);
   b[p+1]=(uchar)((v>>8)&0xFF);
   return(p+2);
  }

int DmPutU32(uchar &b[],int p,uint v)
  {
   DmEnsure(b,p+4);
   for(int i=0; i<4; i++)
      b[p+i]=(uchar)((v>>(8*i))&0xFF);
   return(p+4);
  }

int DmPutU64(uchar &b[],int p,ulong v)
  {
   DmEnsure(b,p+8);
   for(int i=0; i<8; i++)
      b[p+i]=(uchar)((v>>(8*i))&0xFF);
   return(p+8);
  }

// signed values travel as their two's complement bits
int DmPutI32(uchar &b[],int p,int v)
  {
   return(DmPutU32(b,p,(uint)v));
  }

int DmPutI64(uchar &b[],int p,long v)
  {
   return(DmPutU64(b,p,(ulong)v));
  }

int DmPutBytes(uchar &b[],int p,const uchar &src[],int n)
  {
   DmEnsure(b,p+n);
   for(int i=0; i<n; i++)
      b[p+i]=src[i];
   return(p+n);
  }

//--- a text field of n bytes: the string's UTF-8, cut to n - 1 bytes at a
//    character boundary, then NULs to the end (DreamMaker refuses a field
//    with no NUL, or anything but NULs after the first one)
int DmPutText(uchar &b[],int p,const string s,int n)
  {
   uchar u[];
   int len=StringToCharArray(s,u,0,-1,CP_UTF8)-1;   // without the NUL it adds
   if(len<0)
      len=0;
   if(len>n-1)
     {
      len=n-1;
      while(len>0 && (u[len]&0xC0)==0x80)            // not inside a character
         len--;
     }
   DmEnsure(b,p+n);
   for(int i=0; i<n; i++)
      b[p+i]=(i<len) ? u[i] : (uchar)0;
   return(p+n);
  }

//--- little-endian loads
uchar DmGetU8(const uchar &b[],int p)
  {
   return(b[p]);
  }

ushort DmGetU16(const uchar &b[],int p)
  {
   return((ushort)(b[p]|((ushort)b[p+1]<<8)));
  }

uint DmGetU32(const uchar &b[],int p)
  {
   uint v=0;
   for(int i=3; i>=0; i--)
      v=(v<<8)|b[p+i];
   return(v);
  }

ulong DmGetU64(const uchar &b[],int p)
  {
   ulong v=0;
   for(int i=7; i>=0; i--)
      v=(v<<8)|b[p+i];
   return(v);
  }

int DmGetI32(const uchar &b[],int p)
  {
   return((int)DmGetU32(b,p));
  }

long DmGetI64(const uchar &b[],int p)
  {
   return((long)DmGetU64(b,p));
  }

void DmGetBytes(const uchar &b[],int p,int n,uchar &dst[])
  {
   for(int i=0; i<n; i++)
      dst[i]=b[p+i];
  }

// false unless the n bytes hold a NUL and only NULs after it
bool DmGetText(const uchar &b[],int p,int n,string &s)
  {
   int len=-1;
   for(int i=0; i<n; i++)
      if(b[p+i]==0)
        {
         len=i;
         break;
        }
   if(len<0)
      return(false);
   for(int i=len+1; i<n; i++)
      if(b[p+i]!=0)
         return(false);
   s=(len>0) ? CharArrayToString(b,p,len,CP_UTF8) : "";
   return(true);
  }

//--- CRC32C (Castagnoli, reflected 0x82F63B78, init and final xor ~0):
//    crc32c("123456789") = 0xE3069283, as DreamMaker checks
uint g_dm_crc[256];
bool g_dm_crc_ready=false;

void DmCrcInit()
  {
   for(uint i=0; i<256; i++)
     {
      uint c=i;
      for(int k=0; k<8; k++)
         c=((c&1)!=0) ? ((c>>1)^0x82F63B78) : (c>>1);
      g_dm_crc[i]=c;
     }
   g_dm_crc_ready=true;
  }

uint DmCrc32c(const uchar &b[],int p,int n)
  {
   if(!g_dm_crc_ready)
      DmCrcInit();
   uint c=0xFFFFFFFF;
   for(int i=0; i<n; i++)
      c=g_dm_crc[(c^b[p+i])&0xFF]^(c>>8);
   return(~c);
  }

//--- SHA-256 from the terminal (CryptEncode needs no key to hash) and
//    HMAC-SHA256 composed from it as RFC 2104 states it: the key padded
//    to the 64-byte block (hashed first when longer), inner hash over
//    key ^ 0x36.. || message, outer over key ^ 0x5c.. || inner hash
bool DmSha256(const uchar &data[],uchar &out[])
  {
   uchar nokey[];
   return(CryptEncode(CRYPT_HASH_SHA256,data,nokey,out)==32);
  }

bool DmHmacSha256(const uchar &key[],const uchar &msg[],uchar &out[])
  {
   uchar k0[64],inner[],outer[],ih[];
   ArrayInitialize(k0,0);
   int kl=ArraySize(key);
   if(kl>64)
     {
      uchar hk[];
      if(!DmSha256(key,hk))
         return(false);
      for(int i=0; i<32; i++)
         k0[i]=hk[i];
      ArrayInitialize(hk,0);
     }
   else
      for(int i=0; i<kl; i++)
         k0[i]=key[i];
   int ml=ArraySize(msg);
   ArrayResize(inner,64+ml);
   for(int i=0; i<64; i++)
      inner[i]=(uchar)(k0[i]^0x36);
   for(int i=0; i<ml; i++)
      inner[64+i]=msg[i];
   bool ok=DmSha256(inner,ih);
   ArrayResize(outer,96);
   for(int i=0; i<64; i++)
      outer[i]=(uchar)(k0[i]^0x5C);
   for(int i=0; ok && i<32; i++)
      outer[64+i]=ih[i];
   ok=ok && DmSha256(outer,out);
   // no copy of the key is left behind
   ArrayInitialize(k0,0);
   ArrayInitialize(inner,0);
   ArrayInitialize(outer,0);
   return(ok);
  }

// a == b over n bytes, in time that depends on n only
bool DmEqualCt(const uchar &a[],int pa,const uchar &b[],int pb,int n)
  {
   uchar d=0;
   for(int i=0; i<n; i++)
      d|=(uchar)(a[pa+i]^b[pb+i]);
   return(d==0);
  }

// append n bytes of src (from s) to dst
void DmAppend(uchar &dst[],const uchar &src[],int s,int n)
  {
   int at=ArraySize(dst);
   ArrayResize(dst,at+n,4096);
   for(int i=0; i<n; i++)
      dst[at+i]=src[s+i];
  }

void DmAppendText(uchar &dst[],const string s)
  {
   uchar u[];
   int n=StringToCharArray(s,u,0,-1,CP_UTF8)-1;
   if(n>0)
      DmAppend(dst,u,0,n);
  }

#include "DreamMakerBridge_msgs.mqh"

//--- frames: a 28-byte header (DmFrameHdr), then the payload
// Seal the frame in f whose payload (len bytes) is at f[DM_HDR_SIZE]:
// the header with both checksums.
void DmFrameSeal(uchar &f[],ushort type,ulong seq,uchar flags,int len)
  {
   DmFrameHdr h;
   h.magic=(uint)DM_FRAME_MAGIC;
   h.version=(uchar)DM_PROTO_VERSION;
   h.flags=flags;
   h.type=type;
   h.payload_len=(uint)len;
   h.seq=seq;
   h.payload_crc=(len>0) ? DmCrc32c(f,DM_HDR_SIZE,len) : 0;
   h.hdr_crc=0;
   DmEncFrameHdr(f,0,h);
   DmPutU32(f,DM_HDR_SIZE-4,DmCrc32c(f,0,DM_HDR_SIZE-4));
  }

// Mark a kept sequenced frame as sent again; its header is sealed anew.
void DmFrameMarkResent(uchar &f[],int at)
  {
   f[at+5]=(uchar)(f[at+5]|DM_FF_RESENT);
   uchar h[];
   ArrayResize(h,DM_HDR_SIZE-4);
   for(int i=0; i<DM_HDR_SIZE-4; i++)
      h[i]=f[at+i];
   DmPutU32(f,at+DM_HDR_SIZE-4,DmCrc32c(h,0,DM_HDR_SIZE-4));
  }

//--- the streaming decoder: the same rules as DreamMaker's mt5_dec_next
#define DM_RX_FRAME     1
#define DM_RX_MORE      0
#define DM_RX_GARBAGE  -1   // bytes that do not start a frame
#define DM_RX_VERSION  -2   // another protocol version
#define DM_RX_HDRCRC   -3   // header checksum wrong
#define DM_RX_TOOLONG  -4   // payload length above DM_PAYLOAD_MAX
#define DM_RX_CRC      -5   // payload checksum wrong
#define DM_RX_FLAGS    -6   // reserved flag bits

uchar g_rx[];        // bytes received, from g_rx_head to g_rx_tail
int   g_rx_head=0;
int   g_rx_tail=0;

void DmRxReset()
  {
   g_rx_head=0;
   g_rx_tail=0;
  }

void DmRxAppend(const uchar &src[],int n)
  {
   // compact: what was consumed goes, so the buffer stays small
   if(g_rx_head>0)
     {
      int keep=g_rx_tail-g_rx_head;
      for(int i=0; i<keep; i++)                      // forward: the ranges overlap
         g_rx[i]=g_rx[g_rx_head+i];
      g_rx_head=0;
      g_rx_tail=keep;
     }
   DmEnsure(g_rx,g_rx_tail+n);
   for(int i=0; i<n; i++)
      g_rx[g_rx_tail+i]=src[i];
   g_rx_tail+=n;
  }

// does g_rx[at..at+n) start (or, cut short, begin) the magic?
bool DmRxMagicAt(int at,int n)
  {
   uint m=(uint)DM_FRAME_MAGIC;
   for(int i=0; i<4 && i<n; i++)
      if(g_rx[at+i]!=(uchar)((m>>(8*i))&0xFF))
         return(false);
   return(true);
  }

// The next frame: DM_RX_FRAME with its header in h and its payload at
// g_rx[*at], DM_RX_MORE, or an error after which *skipped bytes are gone.
int DmRxNext(DmFrameHdr &h,int &at,int &skipped)
  {
   int n=g_rx_tail-g_rx_head,p=g_rx_head;
   skipped=0;
   if(n<=0)
      return(DM_RX_MORE);
   if(!DmRxMagicAt(p,n))
     {
      // garbage: up to the next byte that could start a frame
      int k=1;
      while(k<n && !DmRxMagicAt(p+k,n-k))
         k++;
      g_rx_head+=k;
      skipped=k;
      return(DM_RX_GARBAGE);
     }
   if(n<DM_HDR_SIZE)
      return(DM_RX_MORE);
   // a header that does not check out is not believed: one byte goes
   if(g_rx[p+4]!=DM_PROTO_VERSION)
     {
      g_rx_head++;
      skipped=1;
      return(DM_RX_VERSION);
     }
   DmDecFrameHdr(g_rx,p,h);
   if(DmCrc32c(g_rx,p,DM_HDR_SIZE-4)!=h.hdr_crc)
     {
      g_rx_head++;
      skipped=1;
      return(DM_RX_HDRCRC);
     }
   if(h.payload_len>DM_PAYLOAD_MAX)
     {
      g_rx_head++;
      skipped=1;
      return(DM_RX_TOOLONG);
     }
   int len=DM_HDR_SIZE+(int)h.payload_len;
   if(n<len)
      return(DM_RX_MORE);
   // a header that checks out is believed: a bad frame goes whole
   g_rx_head+=len;
   if(((h.payload_len>0) ? DmCrc32c(g_rx,p+DM_HDR_SIZE,(int)h.payload_len) : 0)!=h.payload_crc)
     {
      skipped=len;
      return(DM_RX_CRC);
     }
   if((h.flags&~DM_FF_RESENT)!=0)
     {
      skipped=len;
      return(DM_RX_FLAGS);
     }
   at=p+DM_HDR_SIZE;
   return(DM_RX_FRAME);
  }

#endif // DREAMMAKER_BRIDGE_WIRE_MQH
