/*
 * study_int.h — what study.c shares with study_fit.c only.
 */
#ifndef DM_LIBCORE_STUDY_STUDY_INT_H
#define DM_LIBCORE_STUDY_STUDY_INT_H

#include "libcore/study/study.h"

/* Close the open windows (each a point of the regressions) and the order
 * in progress (a point of the fill counts): the end of the stream. */
void study_flush(struct study *s);

#endif /* DM_LIBCORE_STUDY_STUDY_INT_H */
