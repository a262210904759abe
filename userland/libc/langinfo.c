/* nl_langinfo(3) for the only locale this libc has, "C"/"POSIX", with the
 * values NetBSD's libc gives there: its default LC_TIME, LC_NUMERIC and
 * LC_MESSAGES data, "646" (ISO 646, i.e. ASCII) as the C locale's codeset,
 * and "" for the items NetBSD does not keep (CRNCYSTR, ERA, ERA_D_FMT,
 * ERA_D_T_FMT, ERA_T_FMT, ALT_DIGITS) and for any number outside 0..56. */
#include <langinfo.h>

static const char *const c_items[] = {
    [D_T_FMT] = "%a %b %e %H:%M:%S %Y",
    [D_FMT] = "%m/%d/%y",
    [T_FMT] = "%H:%M:%S",
    [T_FMT_AMPM] = "%I:%M:%S %p",
    [AM_STR] = "AM",
    [PM_STR] = "PM",
    [DAY_1] = "Sunday", [DAY_2] = "Monday", [DAY_3] = "Tuesday",
    [DAY_4] = "Wednesday", [DAY_5] = "Thursday", [DAY_6] = "Friday",
    [DAY_7] = "Saturday",
    [ABDAY_1] = "Sun", [ABDAY_2] = "Mon", [ABDAY_3] = "Tue", [ABDAY_4] = "Wed",
    [ABDAY_5] = "Thu", [ABDAY_6] = "Fri", [ABDAY_7] = "Sat",
    [MON_1] = "January", [MON_2] = "February", [MON_3] = "March",
    [MON_4] = "April", [MON_5] = "May", [MON_6] = "June", [MON_7] = "July",
    [MON_8] = "August", [MON_9] = "September", [MON_10] = "October",
    [MON_11] = "November", [MON_12] = "December",
    [ABMON_1] = "Jan", [ABMON_2] = "Feb", [ABMON_3] = "Mar", [ABMON_4] = "Apr",
    [ABMON_5] = "May", [ABMON_6] = "Jun", [ABMON_7] = "Jul", [ABMON_8] = "Aug",
    [ABMON_9] = "Sep", [ABMON_10] = "Oct", [ABMON_11] = "Nov", [ABMON_12] = "Dec",
    [RADIXCHAR] = ".",
    [THOUSEP] = "",
    [YESSTR] = "yes",
    [YESEXPR] = "^[Yy]",
    [NOSTR] = "no",
    [NOEXPR] = "^[Nn]",
    [CODESET] = "646",
};

char *
nl_langinfo(nl_item item)
{
    const char *s;

    if (item < 0 || item >= (nl_item)(sizeof(c_items) / sizeof(c_items[0])))
        return (char *)(unsigned long)"";
    s = c_items[item];
    return (char *)(unsigned long)(s ? s : "");
}
