// espeak-ng's C API (speak_lib.h + espeak_ng.h), from Debian's libespeak-ng-dev.
#include <espeak-ng/speak_lib.h>
#include <espeak-ng/espeak_ng.h>
