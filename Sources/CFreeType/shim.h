/* FreeType is included through its configuration macros, which Swift cannot expand. */
#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_BITMAP_H

/* FT_LOAD_* and FT_RENDER_MODE are macros or enums; these name the ones Wayside uses. */
static inline FT_Int32 wayside_ft_load_default(void) { return FT_LOAD_DEFAULT; }
static inline FT_Int32 wayside_ft_load_render(void) { return FT_LOAD_RENDER; }
