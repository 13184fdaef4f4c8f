/* What Swift cannot call directly for the panel: ioctl is variadic, and the fbdev and
   tty request numbers are macros. Each wrapper names the one ioctl it makes. */
#include <linux/fb.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <zlib.h>

/* FBIOGET_VSCREENINFO: resolution, bits per pixel and the colour bitfields. */
static inline int wayside_fb_get_var(int fd, struct fb_var_screeninfo *info) {
    return ioctl(fd, FBIOGET_VSCREENINFO, info);
}
/* FBIOGET_FSCREENINFO: line length (stride) and the size of the mapping. */
static inline int wayside_fb_get_fix(int fd, struct fb_fix_screeninfo *info) {
    return ioctl(fd, FBIOGET_FSCREENINFO, info);
}
/* TIOCOUTQ: bytes still waiting in the tty's output queue. */
static inline int wayside_tty_outq(int fd, int *count) {
    return ioctl(fd, TIOCOUTQ, count);
}

/* TIOCSPTLCK and TIOCGPTN: unlock a /dev/ptmx master and name its slave, so tests can give
   the LCD a real tty that nobody reads. */
static inline int wayside_pty_unlock(int fd) {
    int unlock = 0;
    return ioctl(fd, TIOCSPTLCK, &unlock);
}
static inline int wayside_pty_number(int fd, unsigned int *number) {
    return ioctl(fd, TIOCGPTN, number);
}
