/*
 * pitr_crc32c.h — CRC-32C, the check of each record of the point-in-time
 * log (pitr_log.h).
 */
#ifndef DBCARE_PITR_CRC32C_H
#define DBCARE_PITR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t pitr_crc32c(const void *data, size_t n);

#endif
