/* HarfBuzz with its FreeType integration (hb_ft_font_create_referenced). */
#include <hb.h>
#include <hb-ft.h>
