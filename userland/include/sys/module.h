/*
 * kw86 libc: <sys/module.h>, the user side of NetBSD's kernel modules:
 * modctl(2) and its structures, with NetBSD's names and i386 layouts.
 */
#ifndef _SYS_MODULE_H_
#define _SYS_MODULE_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <stdint.h>

#define MAXMODNAME	32
#define MAXMODDEPS	10

typedef enum modclass {
	MODULE_CLASS_ANY,
	MODULE_CLASS_MISC,
	MODULE_CLASS_VFS,
	MODULE_CLASS_DRIVER,
	MODULE_CLASS_EXEC,
	MODULE_CLASS_SECMODEL,
	MODULE_CLASS_BUFQ,
	MODULE_CLASS_MAX
} modclass_t;

typedef enum modsrc {
	MODULE_SOURCE_KERNEL,
	MODULE_SOURCE_BOOT,
	MODULE_SOURCE_FILESYS
} modsrc_t;

/* the argument of MODCTL_LOAD */
typedef struct modctl_load {
	const char *ml_filename;
#define MODCTL_NO_PROP		0x2
#define MODCTL_LOAD_FORCE	0x1
	int ml_flags;
	const char *ml_props;
	size_t ml_propslen;
} modctl_load_t;

enum modctl {
	MODCTL_LOAD,		/* modctl_load_t * */
	MODCTL_UNLOAD,		/* char *name */
	MODCTL_OSTAT,		/* struct iovec * (old layout: not in kw86) */
	MODCTL_EXISTS,		/* 0: load, 1: autoload */
	MODCTL_STAT		/* struct iovec * */
};

/* one record of MODCTL_STAT's answer; the required-module strings follow the records */
typedef struct modstat {
	char		ms_name[MAXMODNAME];
	uint64_t	ms_addr;
	modsrc_t	ms_source;
	modclass_t	ms_class;
	u_int		ms_size;
	u_int		ms_refcnt;
	u_int		ms_flags;
	u_int		ms_reqoffset;
} modstat_t;

__BEGIN_DECLS
int modctl(int, void *);
__END_DECLS

#endif /* !_SYS_MODULE_H_ */
