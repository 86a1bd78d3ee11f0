// Kernel side of grant tables: sizing and mapping the table's frames (PVH: XENMAPSPACE_grant_table).
#pragma once
#include "xenos/result.h"

namespace xen {
xenos::Result<void> grant_table_init();
}
