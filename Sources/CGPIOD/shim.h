/* libgpiod 1.6 (Debian 12): the C API as it is; Swift calls it through WaysidePanel's
   LibGPIODLines, which keeps the wrapper thin. */
#include <gpiod.h>
