/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TUNLANE_VERSION_H
#define TUNLANE_VERSION_H
#define TUNLANE_VERSION "0.1.0"
#endif
