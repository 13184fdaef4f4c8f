/* libespeak-ng's stable API (speak_lib.h), as Debian 12 ships it. */
#include <stdio.h>
#include <espeak-ng/speak_lib.h>
