// libjpeg-turbo's TurboJPEG API: error codes instead of libjpeg's longjmp,
// which Swift cannot catch.
#include <turbojpeg.h>
