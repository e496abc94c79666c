// The one header of the CSystemd system-library target: the parts of libsystemd mailtrigger uses.
#ifndef MAILTRIGGER_CSYSTEMD_SHIM_H
#define MAILTRIGGER_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif
