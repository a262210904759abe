/* <sys/uuid.h>: NetBSD's struct uuid and uuidgen(2) (355). */
#ifndef _SYS_UUID_H_
#define _SYS_UUID_H_

#include <sys/cdefs.h>
#include <stdint.h>

#define _UUID_NODE_LEN  6
#define _UUID_STR_LEN   38

struct uuid {
    uint32_t time_low;
    uint16_t time_mid;
    uint16_t time_hi_and_version;
    uint8_t  clock_seq_hi_and_reserved;
    uint8_t  clock_seq_low;
    uint8_t  node[_UUID_NODE_LEN];
};                                      /* 16 bytes */

typedef struct uuid uuid_t;

__BEGIN_DECLS
int uuidgen(struct uuid *, int);
__END_DECLS

#endif
