/* A QEMU TCG plugin for bench/go_ladder.py --peer qemu: counts the guest
 * instructions qemu-user executes (every translated block adds its
 * instruction count when it runs; a block left early by a fault still
 * counts whole) and prints "qemu-icount: N instructions" on stderr at exit.
 * Written here against QEMU's documented plugin API (version 1, QEMU 7.x);
 * the declarations are the few this file uses.  Built by go_ladder.py with
 * the host's cc; a benchmark-only tool, never a dependency of kw86. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb_t cb,
                                                 int flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb, void *userdata);

#define CB_NO_REGS 0                    /* enum qemu_plugin_cb_flags */

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t insns;                  /* all threads (user mode runs them in parallel) */

static void tb_exec(unsigned int vcpu_index, void *n)
{
    (void)vcpu_index;
    __atomic_fetch_add(&insns, (uint64_t)(uintptr_t)n, __ATOMIC_RELAXED);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, CB_NO_REGS,
                                         (void *)(uintptr_t)qemu_plugin_tb_n_insns(tb));
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    fprintf(stderr, "qemu-icount: %llu instructions\n",
            (unsigned long long)__atomic_load_n(&insns, __ATOMIC_RELAXED));
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
